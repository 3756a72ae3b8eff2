/* SPDX-License-Identifier: Apache-2.0 */
/* The nucleus CLI: a thin JSON-RPC client. Links common/ (libc + jansson) only. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "paths.h"
#include "rpc.h"

/* Exit statuses shared by every verb; `run` passes the workload's through. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1         /* the request failed (no such sandbox, bad state) */
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_NUCLEUS 125    /* nucleus itself failed */

struct cli_opts {
        struct nc_paths paths;
        bool json;
        const char *log_path;       /* for an autostarted nucleusd */
        const char *log_format;
};

#define CLI_CONN_MAX_FDS 8

struct cli_conn {
        int fd;
        int lock_fd;
        struct nc_framer in;
        long long next_id;
        /* Descriptors that came with replies (a pty master), oldest first, until a
         * verb takes them for the message that says it carries one. */
        int fds[CLI_CONN_MAX_FDS];
        size_t nfds;
};

struct cli_command {
        const char *name;
        const char *alias;
        int (*fn)(const struct cli_opts *o, int argc, char **argv);
        const char *summary;
};

/* client.c */
enum cli_connect_mode { CLI_CONNECT_EXISTING, CLI_CONNECT_AUTOSTART };
/* Returns 0, -ENOENT when no supervisor runs (EXISTING), or another -errno with a
 * message already printed. */
int cli_connect(const struct cli_opts *o, struct cli_conn *c, enum cli_connect_mode mode);
void cli_disconnect(struct cli_conn *c);
/* Sends a request (with descriptors) and returns its id. Steals params. */
long long cli_send(struct cli_conn *c, const char *method, json_t *params, const int *fds, size_t nfds);
/* Reads the next frame. 1 with *ret set, 0 on EOF, -errno. */
int cli_recv(struct cli_conn *c, json_t **ret);
/* The oldest descriptor received and not yet taken, or -EBADF. */
int cli_take_fd(struct cli_conn *c);
/* Only what a previous read already buffered: -EAGAIN when no whole frame is there.
 * Poll loops must drain this before they wait, or a frame that arrived together with
 * the previous one waits forever. */
int cli_recv_buffered(struct cli_conn *c, json_t **ret);
/* Request and wait for its reply. Returns 0 with *ret_result, or 1 with *ret_error
 * (the JSON-RPC error object), or -errno (message printed). */
int cli_call(struct cli_conn *c, const char *method, json_t *params, json_t **ret_result, json_t **ret_error);
/* cli_call, with errors printed: 0 and *ret_result, or the exit status to return
 * (CLI_EXIT_FAIL for an API error, CLI_EXIT_NUCLEUS when the supervisor is gone). */
int cli_request(struct cli_conn *c, const char *method, json_t *params, json_t **ret_result);
/* Prints "nucleus: <message>" for an error object and returns CLI_EXIT_FAIL. */
int cli_print_error(const json_t *error);

/* autostart.c */
int cli_autostart(const struct cli_opts *o);
/* A helper binary: $env, else next to this binary (build tree or install prefix), else
 * the install path. */
int cli_find_binary(const char *name, const char *env, const char *installed, char *buf, size_t cap);
/* One line on stderr saying why cli_find_binary found no NAME; WHAT says what it is for. */
void cli_binary_missing(const char *name, const char *env, const char *installed, const char *what);

/* context.c: --context DIR, copy mode. On success, fd is the read end of the tar
 * stream (for nucleusd), report is {files, bytes, skipped}, and pid is the helper's,
 * reaped by cli_context_finish (which also closes fd if still open). */
struct cli_context {
        int fd;
        pid_t pid;
        json_t *report;
};
int cli_context_pack(const char *dir, bool integrity, struct cli_context *ret);
int cli_context_finish(struct cli_context *c);

/* policy.c: policy files given to `run`. The CLI opens each (its access, not
 * nucleusd's) and sends the descriptor, so nucleusd can hash exactly what was opened. */
struct cli_policy {
        const char *flag;       /* "--caps-policy" */
        const char *param;      /* "caps_policy" */
        const char *what;       /* "capability policy", for messages */
        bool toml;              /* the seed's format: converted by nucleus-toml2json */
        int fd;
        char *sha256;
        json_t *json;           /* the converted policy (toml); NULL for the seccomp profile */
};
int cli_policy_open(struct cli_policy *p, const char *path);
int cli_policy_pin(struct cli_policy *p, const char *flag, const char *hex);
/* {"sha256": ..., "policy": ...} for sandbox.create. */
json_t *cli_policy_param(const struct cli_policy *p);
void cli_policy_done(struct cli_policy *p);

/* run_flags.c: --user/--group values, for run and exec alike: a number, root, or
 * nobody (users) / nogroup (groups). Prints the error. */
int cli_parse_ident(const char *opt, const char *val, bool user, unsigned *ret);

/* tty.c: a sandbox terminal on the caller's side (run -t, exec -t, attach). */
struct cli_tty {
        int master;             /* the pty master nucleusd passed us; -1 once it ended */
        bool input;             /* our stdin goes in (-i) */
        bool detach_keys;       /* Ctrl-P Ctrl-Q detaches (attach) */
        bool pending_p;
        int sfd;                /* SIGWINCH and the signals that end us */
};
enum { CLI_TTY_MESSAGE, CLI_TTY_LOST, CLI_TTY_DETACHED, CLI_TTY_SIGNAL };
/* {"rows", "cols"} of our terminal for a request's "tty", or true when we have none. */
json_t *cli_tty_param(void);
/* Takes master; puts our terminal in raw mode when input is relayed and stdin is one.
 * sfd: -1 to watch SIGWINCH, INT, TERM, HUP and QUIT ourselves, or the caller's
 * signalfd (with SIGWINCH in its set), taken. */
int cli_tty_start(struct cli_tty *t, int master, bool input, bool detach_keys, int sfd);
/* Copies bytes both ways and forwards window-size changes until something needs the
 * caller: a message from nucleusd (*ret_msg), a lost connection, a detach, or a signal
 * other than SIGWINCH (*ret_sig). */
int cli_tty_step(struct cli_tty *t, struct cli_conn *c, json_t **ret_msg, int *ret_sig);
/* After the process ended: the output still in the pty. */
void cli_tty_finish_output(struct cli_tty *t);
/* Restores our terminal and closes the master. */
void cli_tty_done(struct cli_tty *t);
void cli_tty_restore(void);

/* planned.c: every seed flag that is recognised but not (yet) available. */
/* Returns true (after printing the refusal) when `arg` names such a flag. */
bool cli_refuse_planned_flag(const char *arg);

/* One file per verb. */
int cli_cmd_run(const struct cli_opts *o, int argc, char **argv);
int cli_cmd_ps(const struct cli_opts *o, int argc, char **argv);
int cli_cmd_inspect(const struct cli_opts *o, int argc, char **argv);
int cli_cmd_kill(const struct cli_opts *o, int argc, char **argv);
int cli_cmd_rm(const struct cli_opts *o, int argc, char **argv);
int cli_cmd_wait(const struct cli_opts *o, int argc, char **argv);
int cli_cmd_version(const struct cli_opts *o, int argc, char **argv);
int cli_cmd_info(const struct cli_opts *o, int argc, char **argv);
int cli_cmd_stats(const struct cli_opts *o, int argc, char **argv);
int cli_cmd_stop(const struct cli_opts *o, int argc, char **argv);
int cli_cmd_exec(const struct cli_opts *o, int argc, char **argv);
/* attach.c: `attach ID` without a command (exec.c sends it there). */
int cli_attach(const struct cli_opts *o, const char *ref);
int cli_cmd_events(const struct cli_opts *o, int argc, char **argv);
int cli_cmd_logs(const struct cli_opts *o, int argc, char **argv);
int cli_cmd_pause(const struct cli_opts *o, int argc, char **argv);
int cli_cmd_resume(const struct cli_opts *o, int argc, char **argv);
int cli_cmd_seccomp(const struct cli_opts *o, int argc, char **argv);
int cli_cmd_planned(const struct cli_opts *o, int argc, char **argv);

/* Helpers for verbs that act on one sandbox reference. */
int cli_connect_or_report(const struct cli_opts *o, struct cli_conn *c, const char *what);
/* For verbs that take ID...: sends `method` once per id, with `extra`'s members plus
 * "id", and prints each returned id. An error for one id is printed and the rest still
 * go; a lost supervisor stops at once. 0, or the last failure's exit status. */
int cli_each_id(const struct cli_opts *o, char **ids, size_t n, const char *method, const json_t *extra);
