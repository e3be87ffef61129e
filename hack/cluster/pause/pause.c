/* The pod sandbox's process: holds the pod's namespaces open and reaps zombies (it is PID 1
 * of the pod when the pod shares its process namespace). Built statically into a scratch
 * image, because the registries that serve registry.k8s.io/pause cannot be reached here. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig) {
	(void)sig;
	_exit(0);
}

static void on_child(int sig) {
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0) {
	}
}

int main(int argc, char **argv) {
	if (argc > 1 && argv[1][0] == '-' && argv[1][1] == 'v') {
		puts("pause (kubectl-bitcoin local cluster)");
		return 0;
	}
	if (getpid() != 1) fputs("pause: warning: not running as PID 1\n", stderr);
	struct sigaction term = {.sa_handler = on_term};
	struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP};
	if (sigaction(SIGINT, &term, NULL) < 0 || sigaction(SIGTERM, &term, NULL) < 0 ||
	    sigaction(SIGCHLD, &child, NULL) < 0)
		return 1;
	for (;;) pause();
}
