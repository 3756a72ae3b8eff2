/* SPDX-License-Identifier: Apache-2.0 */
#include "journal_sink.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#define FIELD_MAX 160   /* "NUCLEUS_SANDBOX_NAME=" + a 128-character name, with room */

struct entry {
        struct entry *next;
        int stream;
        size_t len;
        char id[48], name[FIELD_MAX];
        char message[];         /* "MESSAGE=" + the line */
};

struct nc_journal_sink {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        struct entry *head, *tail;
        size_t bytes, max_bytes;
        uint64_t dropped, dropped_unreported;
        bool stopping;
};

static void send_entry(const struct entry *e)
{
        char id[80], name[FIELD_MAX + 32], ident[FIELD_MAX + 32];
        struct iovec iov[6];
        int n = 0;

        snprintf(id, sizeof(id), "NUCLEUS_SANDBOX_ID=%s", e->id);
        snprintf(name, sizeof(name), "NUCLEUS_SANDBOX_NAME=%s", e->name);
        snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", e->name);
        iov[n++] = (struct iovec){ (void *)e->message, e->len };
        iov[n++] = (struct iovec){ e->stream ? "PRIORITY=3" : "PRIORITY=6", 10 };
        iov[n++] = (struct iovec){ ident, strlen(ident) };
        iov[n++] = (struct iovec){ id, strlen(id) };
        iov[n++] = (struct iovec){ name, strlen(name) };
        iov[n++] = (struct iovec){ e->stream ? "NUCLEUS_STREAM=stderr" : "NUCLEUS_STREAM=stdout", 21 };
        /* A lost entry is not worth more than a lost line: no retry, no error path. */
        (void)sd_journal_sendv(iov, n);
}

static void *run(void *arg)
{
        struct nc_journal_sink *s = arg;

        pthread_mutex_lock(&s->lock);
        for (;;) {
                while (!s->head && !s->stopping)
                        pthread_cond_wait(&s->wake, &s->lock);
                if (!s->head)
                        break;  /* stopping, and everything sent */
                struct entry *batch = s->head;
                uint64_t dropped = s->dropped_unreported;

                s->head = s->tail = NULL;
                s->bytes = 0;
                s->dropped_unreported = 0;
                pthread_mutex_unlock(&s->lock);
                if (dropped)
                        sd_journal_send("MESSAGE=nucleus: %llu log lines were not sent to the journal: it fell behind "
                                        "(they are in nucleus logs)", (unsigned long long)dropped, "PRIORITY=4",
                                        "SYSLOG_IDENTIFIER=nucleusd", NULL);
                while (batch) {
                        struct entry *next = batch->next;
                        send_entry(batch);
                        free(batch);
                        batch = next;
                }
                pthread_mutex_lock(&s->lock);
        }
        pthread_mutex_unlock(&s->lock);
        return NULL;
}

struct nc_journal_sink *nc_journal_sink_new(size_t max_bytes)
{
        struct nc_journal_sink *s = calloc(1, sizeof(*s));

        if (!s)
                return NULL;
        s->max_bytes = max_bytes;
        pthread_mutex_init(&s->lock, NULL);
        pthread_cond_init(&s->wake, NULL);
        if (pthread_create(&s->thread, NULL, run, s) != 0) {
                pthread_mutex_destroy(&s->lock);
                pthread_cond_destroy(&s->wake);
                free(s);
                return NULL;
        }
        return s;
}

void nc_journal_sink_line(struct nc_journal_sink *s, const char *id, const char *name, int stream, const char *data,
                          size_t len)
{
        struct entry *e;
        size_t size = sizeof(*e) + 8 + len;

        pthread_mutex_lock(&s->lock);
        if (s->bytes + size > s->max_bytes) {
                s->dropped++;
                s->dropped_unreported++;
                pthread_mutex_unlock(&s->lock);
                return;
        }
        s->bytes += size;
        pthread_mutex_unlock(&s->lock);
        /* Allocated outside the lock; the budget is already taken. */
        e = malloc(size);
        if (!e) {
                pthread_mutex_lock(&s->lock);
                s->bytes -= size;
                s->dropped++;
                s->dropped_unreported++;
                pthread_mutex_unlock(&s->lock);
                return;
        }
        e->next = NULL;
        e->stream = stream;
        snprintf(e->id, sizeof(e->id), "%s", id);
        snprintf(e->name, sizeof(e->name), "%s", name);
        memcpy(e->message, "MESSAGE=", 8);
        memcpy(e->message + 8, data, len);
        e->len = 8 + len;
        pthread_mutex_lock(&s->lock);
        if (s->tail)
                s->tail->next = e;
        else
                s->head = e;
        s->tail = e;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
}

uint64_t nc_journal_sink_dropped(struct nc_journal_sink *s)
{
        uint64_t n;

        pthread_mutex_lock(&s->lock);
        n = s->dropped;
        pthread_mutex_unlock(&s->lock);
        return n;
}

void nc_journal_sink_free(struct nc_journal_sink *s)
{
        if (!s)
                return;
        pthread_mutex_lock(&s->lock);
        s->stopping = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->wake);
        free(s);
}
