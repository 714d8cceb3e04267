// Shared by the two C stages of hako init: nsenter.c (namespaces) and
// apply.c (the exec applier). Both talk to the host over the sync socket.
#ifndef HAKO_NSENTER_H
#define HAKO_NSENTER_H

#include <stddef.h>

// hako_sync_fd is the sync socket named by _HAKO_SYNCFD.
extern int hako_sync_fd;

void hako_write_all(const char *buf, size_t len);
int hako_read_byte(char *c);

// hako_send sends one JSON line {"type":..,"msg":..,<key>:..,"errno":..}
// (syncproto.Msg): msg and key may be NULL, err is left out when 0.
void hako_send(const char *type, const char *msg, const char *key, long val, int err);

// hako_report sends an error whose text is the formatted message and whose
// errno, when not 0, the host appends in Go's wording (%w), then exits 1.
__attribute__((noreturn, format(printf, 2, 3)))
void hako_report(int err, const char *fmt, ...);

void hako_trace(const char *phase);

// HAKO_MAX_FDS bounds the fds of one message (SCM_RIGHTS takes 253).
#define HAKO_MAX_FDS 64

// hako_send_fds sends {"type":..,"count":n} with n fds attached
// (syncproto.Conn.RecvFDs reads it); a failure is reported, and exits.
void hako_send_fds(const char *type, const int *fds, int n);

// hako_wait_start blocks until `start` writes the exec fifo at fd (name
// is its number as text, for the error), with signals handled as the Go
// runtime would; it exits on failure.
void hako_wait_start(int fd, const char *name);

// hako_default_signals sets every signal the process ignores back to its
// default action: the container's process starts so, as under runc,
// whatever hako's caller ignored (an ignored signal stays ignored across
// execve, and sh cannot trap one ignored at its start).
void hako_default_signals(void);

// hako_strerror is strerror(err) as Go words it (lower case), for what
// the C stages print themselves.
const char *hako_strerror(int err, char *buf, size_t len);

// hako_apply turns this process into the exec'd process: see apply.c.
__attribute__((noreturn))
void hako_apply(char *plan, size_t len);

#endif
