/* Host id ranges: each live sandbox maps its 65536 ids onto a range of host ids that
 * no other live sandbox uses. The kernel still keeps some quotas per host uid (its
 * user_struct): pipe buffer pages (pipe-user-pages-soft), epoll watches, descriptors
 * in flight over Unix sockets, locked memory for io_uring and perf. With one shared
 * uid, one sandbox could exhaust them for all; and a process that escaped its
 * namespaces would own every other sandbox's processes and files. (RLIMIT_NPROC and
 * the other ucounts-based limits are kept per user namespace since Linux 5.14.)
 *
 * Slot k is host ids base + k * count ... + count - 1. A slot is taken at create (or
 * by a pool member when it is prepared: the claim hands the slot over with it) and
 * given back once the sandbox's processes are gone. The admission limit
 * (--max-sandboxes) bounds live sandboxes and --pool-size bounds pool members, and
 * there are slots for both (sup_uid_slots), so there is always one for a sandbox that
 * is admitted. */
#include <errno.h>
#include <stdlib.h>

#include "sup.h"

int sup_uid_slots_init(struct sup *s)
{
        s->uid_slots = calloc(sup_uid_slots(s->opt), 1);
        return s->uid_slots ? 0 : -ENOMEM;
}

/* The lowest free slot, so that one sandbox at a time (without a pool) always gets
 * the base itself. */
int sup_uid_slot_alloc(struct sup *s, int *ret_slot, uint32_t *ret_base)
{
        for (unsigned k = 0; k < sup_uid_slots(s->opt); k++)
                if (!s->uid_slots[k]) {
                        s->uid_slots[k] = 1;
                        *ret_slot = (int)k;
                        *ret_base = s->cfg->uid_base + k * s->cfg->uid_count;
                        return 0;
                }
        return -EBUSY;
}

void sup_uid_slot_free(struct sup *s, int *slot)
{
        if (*slot < 0)
                return;
        s->uid_slots[*slot] = 0;
        *slot = -1;
}

int sup_uid_slot_take(struct sup_sandbox *sb)
{
        return sup_uid_slot_alloc(sb->sup, &sb->uid_slot, &sb->uid_base);
}

void sup_uid_slot_release(struct sup_sandbox *sb)
{
        sup_uid_slot_free(sb->sup, &sb->uid_slot);
}

int sup_uid_slot_claim(struct sup_sandbox *sb, int slot)
{
        struct sup *s = sb->sup;

        if (slot < 0 || (unsigned)slot >= sup_uid_slots(s->opt) || s->uid_slots[slot])
                return -EBUSY;
        s->uid_slots[slot] = 1;
        sb->uid_slot = slot;
        sb->uid_base = s->cfg->uid_base + (uint32_t)slot * s->cfg->uid_count;
        return 0;
}
