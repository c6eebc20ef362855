/* Deadlines, signal-aware waits and the self-pipe that lets SIGTERM and
 * SIGINT end any wait at once.
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t stop_signal;
static int stdout_watched;

int64_t
io_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
io_deadline_ms(int64_t timeout_ms)
{
	if (timeout_ms < 0 || timeout_ms >= IO_NEVER / 2) {
		return IO_NEVER;
	}
	return io_now_ms() + timeout_ms;
}

static void
on_signal(int sig)
{
	int saved = errno;
	char c = 1;

	stop_signal = sig;
	if (sig_pipe[1] >= 0) {
		/* The pipe is non-blocking: a full one already wakes the
		 * waiters. */
		(void)!write(sig_pipe[1], &c, 1);
	}
	errno = saved;
}

int
io_signals_install(void)
{
	struct sigaction sa;
	int i;

	if (sig_pipe[0] < 0) {
		if (pipe(sig_pipe) != 0) {
			return -1;
		}
		for (i = 0; i < 2; i++) {
			fcntl(sig_pipe[i], F_SETFL,
			    fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
			fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
		}
	}
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return 0;
}

int
io_stop_signal(void)
{
	return stop_signal;
}

void
io_stop_after_ms(int64_t ms)
{
	struct sigaction sa;
	struct itimerval it;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof it);
	it.it_value.tv_sec = (time_t)(ms / 1000);
	it.it_value.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (ms <= 0) {
		it.it_value.tv_usec = 1;
	}
	setitimer(ITIMER_REAL, &it, NULL);
}

void
io_watch_stdout(void)
{
	struct stat st;

	if (fstat(1, &st) == 0 && (S_ISFIFO(st.st_mode) ||
	    S_ISSOCK(st.st_mode))) {
		stdout_watched = 1;
	}
}

int
io_wait(int fd, int write, int64_t deadline_ms)
{
	struct pollfd pfd[3];
	int64_t left;
	int n, nfds, out_slot = -1;

	for (;;) {
		if (stop_signal) {
			return IO_INTERRUPTED;
		}
		nfds = 0;
		if (fd >= 0) {
			pfd[nfds].fd = fd;
			pfd[nfds].events = write ? POLLOUT : POLLIN;
			pfd[nfds].revents = 0;
			nfds++;
		}
		if (sig_pipe[0] >= 0) {
			pfd[nfds].fd = sig_pipe[0];
			pfd[nfds].events = POLLIN;
			pfd[nfds].revents = 0;
			nfds++;
		}
		if (stdout_watched) {
			/* No events asked: poll reports only POLLERR and
			 * POLLHUP, which a pipe's writer end gets when the
			 * reader has gone. */
			out_slot = nfds;
			pfd[nfds].fd = 1;
			pfd[nfds].events = 0;
			pfd[nfds].revents = 0;
			nfds++;
		}

		/* poll() takes an int of milliseconds: wait in slices so that
		 * a far deadline cannot overflow it. */
		if (deadline_ms == IO_NEVER) {
			left = 60000;
		} else {
			left = deadline_ms - io_now_ms();
			if (left <= 0) {
				return IO_TIMEOUT;
			}
			if (left > 60000) {
				left = 60000;
			}
		}
		n = poll(pfd, (nfds_t)nfds, (int)left);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return IO_ERROR;
		}
		if (out_slot >= 0 && pfd[out_slot].revents != 0) {
			stop_signal = SIGPIPE;
		}
		if (stop_signal) {
			return IO_INTERRUPTED;
		}
		if (n > 0 && fd >= 0 && pfd[0].revents != 0) {
			/* Errors and hang-ups count as ready: the read or write
			 * that follows reports them. */
			return 1;
		}
	}
}

int
io_sleep_ms(int64_t ms)
{
	int r = io_wait(-1, 0, io_deadline_ms(ms));

	return r == IO_INTERRUPTED ? IO_INTERRUPTED : 0;
}
