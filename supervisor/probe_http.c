/* SPDX-License-Identifier: Apache-2.0 */
/* --health-http URL: a GET through libcurl's multi interface, driven by the loop
 * (CURLMOPT_SOCKETFUNCTION watches its sockets with uv_poll, CURLMOPT_TIMERFUNCTION
 * sets a uv_timer), so a probe never blocks nucleusd.
 *
 * libcurl never creates the socket itself: CURLOPT_OPENSOCKETFUNCTION hands it one
 * made inside the sandbox's network namespace (sup_probe_socket), so 127.0.0.1 is the
 * sandbox's loopback and --network none sandboxes can be probed. The URL's host is an
 * IP literal or localhost (spec_probe.c refuses names): libcurl would resolve a name on
 * a thread in nucleusd's namespace, with the host's resolver. localhost is pinned to
 * 127.0.0.1 and ::1 (CURLOPT_RESOLVE), so no lookup and no resolver thread happens at all. Proxies from nucleusd's
 * environment are ignored, redirects are not followed and connections are never
 * reused. A status from 200 to 399 passes, as `curl -f` does. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"

#define HTTP_BODY_KEPT 256

struct sup_probe_http {
        struct sup_probe *p;
        uv_loop_t *loop;
        CURLM *multi;
        CURL *easy;                     /* the request in flight; NULL between runs */
        struct curl_slist *resolve;     /* localhost's addresses, for easy */
        uv_timer_t timer;               /* libcurl's timeouts */
        char errbuf[CURL_ERROR_SIZE];
        char body[HTTP_BODY_KEPT];
        size_t body_len;
};

/* One of libcurl's sockets, watched until libcurl is done with it. */
struct http_sock {
        uv_poll_t poll;
        curl_socket_t fd;
        struct sup_probe_http *h;
};

static void check_done(struct sup_probe_http *h);

static void sock_closed(uv_handle_t *handle)
{
        free(handle->data);
}

static void on_poll(uv_poll_t *handle, int status, int events)
{
        struct http_sock *s = handle->data;
        struct sup_probe_http *h = s->h;
        int flags = 0, running;

        if (status < 0)
                flags = CURL_CSELECT_ERR;
        if (events & UV_READABLE)
                flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
                flags |= CURL_CSELECT_OUT;
        (void)curl_multi_socket_action(h->multi, s->fd, flags, &running);
        check_done(h);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
        struct sup_probe_http *h = userp;
        struct http_sock *s = socketp;
        int events = 0;

        if (what == CURL_POLL_REMOVE) {
                if (s) {
                        /* Stopped before libcurl closes the descriptor; freed once closed. */
                        uv_poll_stop(&s->poll);
                        (void)curl_multi_assign(h->multi, fd, NULL);
                        uv_close((uv_handle_t *)&s->poll, sock_closed);
                }
                return 0;
        }
        if (!s) {
                if (!(s = calloc(1, sizeof(*s))))
                        return -1;
                s->fd = fd;
                s->h = h;
                if (uv_poll_init_socket(h->loop, &s->poll, fd) < 0) {
                        free(s);
                        return -1;
                }
                s->poll.data = s;
                (void)curl_multi_assign(h->multi, fd, s);
        }
        if (what & CURL_POLL_IN)
                events |= UV_READABLE;
        if (what & CURL_POLL_OUT)
                events |= UV_WRITABLE;
        uv_poll_start(&s->poll, events, on_poll);
        return 0;
}

static void on_timer(uv_timer_t *t)
{
        struct sup_probe_http *h = t->data;
        int running;

        (void)curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        check_done(h);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
        struct sup_probe_http *h = userp;

        /* libcurl must not be called from here: only the timer is set. */
        if (timeout_ms < 0)
                uv_timer_stop(&h->timer);
        else
                uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0);
        return 0;
}

static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
        struct sup_probe_http *h = clientp;
        int fd;

        if (purpose != CURLSOCKTYPE_IPCXN || !h->p)
                return CURL_SOCKET_BAD;
        fd = sup_probe_socket(h->p->owner->sb, addr->family, addr->socktype, addr->protocol);
        return fd < 0 ? CURL_SOCKET_BAD : fd;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
        struct sup_probe_http *h = userp;
        size_t len = size * n, room = sizeof(h->body) - h->body_len;

        memcpy(h->body + h->body_len, data, len < room ? len : room);
        h->body_len += len < room ? len : room;
        return len;     /* the rest is read and dropped */
}

static void drop_easy(struct sup_probe_http *h)
{
        if (!h->easy)
                return;
        (void)curl_multi_remove_handle(h->multi, h->easy);      /* its sockets go (socket_cb) */
        curl_easy_cleanup(h->easy);
        h->easy = NULL;
        curl_slist_free_all(h->resolve);
        h->resolve = NULL;
        uv_timer_stop(&h->timer);
}

static void check_done(struct sup_probe_http *h)
{
        CURLMsg *m;
        int left;

        while ((m = curl_multi_info_read(h->multi, &left))) {
                char out[SUP_PROBE_OUTPUT_MAX + 1];
                long code = 0;
                bool passed;
                int n;

                if (m->msg != CURLMSG_DONE || m->easy_handle != h->easy)
                        continue;
                CURLcode res = m->data.result;
                (void)curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &code);
                passed = res == CURLE_OK && code >= 200 && code < 400;
                if (res != CURLE_OK)
                        n = snprintf(out, sizeof(out), "GET %s: %s", h->p->spec->url,
                                     h->errbuf[0] ? h->errbuf : curl_easy_strerror(res));
                else
                        n = snprintf(out, sizeof(out), "HTTP %ld\n%.*s", code, (int)h->body_len, h->body);
                drop_easy(h);
                if (n < 0)
                        n = 0;
                sup_probe_finish(h->p, passed, passed ? 0 : 1, out, (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1);
                return;         /* h->p may run again from here on: nothing else to read */
        }
}

static struct sup_probe_http *http_new(struct sup_probe *p)
{
        static bool global_done;
        struct sup_probe_http *h;

        if (!global_done) {
                /* Once, on the loop's thread, before any handle exists. */
                if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                        return NULL;
                global_done = true;
        }
        if (!(h = calloc(1, sizeof(*h))))
                return NULL;
        h->p = p;
        h->loop = &p->owner->sb->sup->loop;
        if (!(h->multi = curl_multi_init())) {
                free(h);
                return NULL;
        }
        uv_timer_init(h->loop, &h->timer);
        h->timer.data = h;
        (void)curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
        (void)curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
        (void)curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
        (void)curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
        return h;
}

/* "localhost:PORT:127.0.0.1,[::1]" for a URL whose host is localhost; NULL otherwise. */
static struct curl_slist *localhost_entry(const char *url)
{
        CURLU *u = curl_url();
        char *host = NULL, *port = NULL, line[64];
        struct curl_slist *l = NULL;

        if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && strcasecmp(host, "localhost") == 0 &&
            curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
                snprintf(line, sizeof(line), "localhost:%s:127.0.0.1,[::1]", port);
                l = curl_slist_append(NULL, line);
        }
        curl_free(host);
        curl_free(port);
        curl_url_cleanup(u);
        return l;
}

int sup_probe_http_start(struct sup_probe *p)
{
        struct sup_probe_http *h = p->http;
        CURL *e;

        if (!h && !(h = p->http = http_new(p)))
                return -ENOMEM;
        drop_easy(h);
        if (!(e = curl_easy_init()))
                return -ENOMEM;
        h->errbuf[0] = 0;
        h->body_len = 0;
        if (curl_easy_setopt(e, CURLOPT_URL, p->spec->url) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK) {
                curl_easy_cleanup(e);
                return -EINVAL;
        }
        (void)curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        (void)curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)p->spec->timeout_ms);
        (void)curl_easy_setopt(e, CURLOPT_PROXY, "");
        (void)curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
        (void)curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        (void)curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
        (void)curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
        (void)curl_easy_setopt(e, CURLOPT_USERAGENT, "nucleus-health-probe");
        (void)curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
        (void)curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, h);
        (void)curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
        (void)curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
        (void)curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
        if ((h->resolve = localhost_entry(p->spec->url)))
                (void)curl_easy_setopt(e, CURLOPT_RESOLVE, h->resolve);
        if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
                curl_easy_cleanup(e);
                curl_slist_free_all(h->resolve);
                h->resolve = NULL;
                return -EIO;
        }
        h->easy = e;
        return 0;       /* libcurl asks for its first timeout from add_handle */
}

void sup_probe_http_cancel(struct sup_probe *p)
{
        if (p->http)
                drop_easy(p->http);
}

static void http_closed(uv_handle_t *handle)
{
        free(handle->data);
}

void sup_probe_http_free(struct sup_probe *p)
{
        struct sup_probe_http *h = p->http;

        if (!h)
                return;
        p->http = NULL;
        drop_easy(h);
        curl_multi_cleanup(h->multi);
        h->p = NULL;
        uv_close((uv_handle_t *)&h->timer, http_closed);
}
