/* Host id ranges: each live sandbox maps its 65536 ids onto a range of host ids that
 * no other live sandbox uses. The kernel still keeps some quotas per host uid (its
 * user_struct): pipe buffer pages (pipe-user-pages-soft), epoll watches, descriptors
 * in flight over Unix sockets, locked memory for io_uring and perf. With one shared
 * uid, one sandbox could exhaust them for all; and a process that escaped its
 * namespaces would own every other sandbox's processes and files. (RLIMIT_NPROC and
 * the other ucounts-based limits are kept per user namespace since Linux 5.14.)
 *
 * Slot k is host ids base + k * count ... + count - 1. A slot is taken at create and
 * given back once the sandbox's processes are gone; the admission limit
 * (--max-sandboxes) bounds live sandboxes, so there is always a free slot for one
 * that is admitted. */
#include <errno.h>
#include <stdlib.h>

#include "sup.h"

int sup_uid_slots_init(struct sup *s)
{
        s->uid_slots = calloc(s->opt->max_sandboxes, 1);
        return s->uid_slots ? 0 : -ENOMEM;
}

/* The lowest free slot, so that one sandbox at a time always gets the base itself. */
int sup_uid_slot_take(struct sup_sandbox *sb)
{
        struct sup *s = sb->sup;

        for (unsigned k = 0; k < s->opt->max_sandboxes; k++)
                if (!s->uid_slots[k]) {
                        s->uid_slots[k] = 1;
                        sb->uid_slot = (int)k;
                        sb->uid_base = s->cfg->uid_base + k * s->cfg->uid_count;
                        return 0;
                }
        return -EBUSY;
}

void sup_uid_slot_release(struct sup_sandbox *sb)
{
        if (sb->uid_slot < 0)
                return;
        sb->sup->uid_slots[sb->uid_slot] = 0;
        sb->uid_slot = -1;
}

int sup_uid_slot_claim(struct sup_sandbox *sb, int slot)
{
        struct sup *s = sb->sup;

        if (slot < 0 || (unsigned)slot >= s->opt->max_sandboxes || s->uid_slots[slot])
                return -EBUSY;
        s->uid_slots[slot] = 1;
        sb->uid_slot = slot;
        sb->uid_base = s->cfg->uid_base + (uint32_t)slot * s->cfg->uid_count;
        return 0;
}
