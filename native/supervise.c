/*
 * konduktor-supervise: the launcher and the job supervisor of konduktor's local backend, in C.
 *
 * It speaks exactly the protocol of src/backends/local/scripts/supervisor.sh, which konduktor uses
 * where this program could not be built (no C compiler). Both pass the same conformance suite.
 * Forking this small program costs a few dozen page faults; forking a bash costs hundreds, and on
 * a virtual machine those dominate the cost of a trivial job.
 *
 * Launcher: reads job directories, each ended by a NUL, on stdin, until it ends; forks one
 * supervisor per directory (a process group of its own) and answers each with the supervisor's
 * pid and a newline on stdout (0 when the fork failed).
 *
 * Supervisor (in a job directory): the files it reads and writes and their formats are the
 * supervisor protocol, described once in docs/supervisor-protocol.md and owned in konduktor by
 * src/backends/local/protocol.ts; test/unit/supervisor-protocol.test.ts checks that this program
 * and the bash supervisor write the same files. In short: it reads `launch` (NUL-separated
 * "p:NAME=VALUE", "+NAME=VALUE", "-NAME" records) and `gpus`; it writes `supervisor` ("PID
 * STARTTIME STARTED_MS"), `attempt`, `attempt-K/pids`, `attempt-K/rank-R/{log,exit}` and `final`
 * ("status=... attempt=... [rank=... wait=...] ended=MS"), each with one write(2) ending in a
 * newline, and touches the event file after each change that waiters care about. No task text is
 * ever interpreted here: the task's scripts run in bash.
 *
 * No process outlives its job: the supervisor is a child subreaper (PR_SET_CHILD_SUBREAPER), so
 * whatever the ranks start stays its descendant however it detaches (setsid, a new process group,
 * a double fork, nohup, a daemon); before it writes `final` it ends every descendant (SIGTERM,
 * SIGKILL after the grace period) until it has no child left.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The parameters of one job, from its launch record. */
static struct {
  const char *dir;
  int num_nodes;
  int max_restarts;
  int first_attempt;
  const char *event_file;
  long long grace_ms;
  const char *bash;
  mode_t umask;
  const char *workdir;
  char **env_ops;
  size_t env_count;
  char **gpu_lines;
  size_t gpu_count;
} job;

static pid_t self;
static int attempt;

/* A message for supervisor.log in the job directory, which is created on the first one: most
 * jobs have nothing to say. */
static void complain(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *format, ...) {
  static int log_fd = -1;
  if (log_fd < 0 && job.dir != NULL) {
    char log_path[PATH_MAX];
    snprintf(log_path, sizeof log_path, "%s/supervisor.log", job.dir);
    log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  }
  if (log_fd < 0) return;
  char message[1024];
  va_list args;
  va_start(args, format);
  int length = vsnprintf(message, sizeof message, format, args);
  va_end(args);
  if (length > 0) {
    size_t size = (size_t)length < sizeof message ? (size_t)length : sizeof message - 1;
    if (write(log_fd, message, size) < 0) return;
  }
}

/* Writes `text` and a newline to `path` in one write(2), replacing what was there. */
static void put(const char *path, const char *text) {
  size_t length = strlen(text);
  char *buffer = malloc(length + 1);
  if (buffer == NULL) return;
  memcpy(buffer, text, length);
  buffer[length++] = '\n';
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0 || write(fd, buffer, length) != (ssize_t)length) {
    complain("konduktor-supervise: cannot write %s: %s\n", path, strerror(errno));
  }
  if (fd >= 0) close(fd);
  free(buffer);
}

static char *path_of(char *out, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static char *path_of(char *out, size_t size, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(out, size, format, args);
  va_end(args);
  return out;
}

/* Wakes konduktor processes waiting on this job (they watch the events directory). konduktor made
 * the event file; it is never created here: a job that ends after its home was deleted must not
 * bring a file back into it. */
static void notify(void) {
  int fd = open(job.event_file, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd >= 0) close(fd);
}

/* mkdir -p */
static void make_dirs(const char *path) {
  char buffer[PATH_MAX];
  snprintf(buffer, sizeof buffer, "%s", path);
  for (char *slash = buffer + 1; *slash != '\0'; slash++) {
    if (*slash != '/') continue;
    *slash = '\0';
    mkdir(buffer, 0777);
    *slash = '/';
  }
  mkdir(buffer, 0777);
}

/* The whole file, NUL-terminated; NULL when it cannot be read. */
static char *read_file(const char *path, size_t *size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t capacity = 4096, length = 0;
  char *data = malloc(capacity + 1);
  for (;;) {
    if (data == NULL) break;
    if (length == capacity) {
      capacity *= 2;
      char *bigger = realloc(data, capacity + 1);
      if (bigger == NULL) {
        free(data);
        data = NULL;
        break;
      }
      data = bigger;
    }
    ssize_t n = read(fd, data + length, capacity - length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    length += (size_t)n;
  }
  close(fd);
  if (data == NULL) return NULL;
  data[length] = '\0';
  if (size != NULL) *size = length;
  return data;
}

static int number(const char *text, int fallback) {
  char *end;
  long value = strtol(text, &end, 10);
  return end == text ? fallback : (int)value;
}

/* Reads the launch record; false when there is none (konduktor withdrew the request). */
static int read_launch(void) {
  size_t size;
  char *data = read_file("launch", &size);
  if (data == NULL) return 0;
  job.num_nodes = 1;
  job.event_file = "/dev/null";
  job.grace_ms = 5000;
  job.bash = "bash";
  job.umask = 022;
  job.workdir = "";
  job.env_ops = calloc(size / 2 + 1, sizeof(char *));
  if (job.env_ops == NULL) return 0;
  for (char *record = data; record < data + size; record += strlen(record) + 1) {
    if (record[0] == '+' || record[0] == '-') {
      job.env_ops[job.env_count++] = record;
    } else if (strncmp(record, "p:", 2) == 0) {
      char *name = record + 2, *value = strchr(name, '=');
      if (value == NULL) continue;
      *value++ = '\0';
      if (strcmp(name, "num_nodes") == 0) job.num_nodes = number(value, 1);
      else if (strcmp(name, "max_restarts") == 0) job.max_restarts = number(value, 0);
      else if (strcmp(name, "first_attempt") == 0) job.first_attempt = number(value, 0);
      else if (strcmp(name, "event_file") == 0) job.event_file = value;
      else if (strcmp(name, "grace_ms") == 0) job.grace_ms = number(value, 5000);
      else if (strcmp(name, "bash") == 0) job.bash = value;
      else if (strcmp(name, "umask") == 0) job.umask = (mode_t)strtol(value, NULL, 8);
      else if (strcmp(name, "workdir") == 0) job.workdir = value;
    }
  }
  /* Task validation allows no fewer than one rank; any larger count runs, as in bash. */
  if (job.num_nodes < 1) job.num_nodes = 1;
  return 1;
}

static void read_gpus(void) {
  char *data = read_file("gpus", NULL);
  if (data == NULL) return;
  size_t lines = 0;
  for (char *c = data; *c != '\0'; c++) lines += *c == '\n';
  job.gpu_lines = calloc(lines + 1, sizeof(char *));
  if (job.gpu_lines == NULL) return;
  for (char *line = data; *line != '\0' && job.gpu_count < lines;) {
    char *end = strchr(line, '\n');
    if (end == NULL) break;
    *end = '\0';
    job.gpu_lines[job.gpu_count++] = line;
    line = end + 1;
  }
}

/* This process's start time, field 22 of /proc/self/stat, as konduktor records it. */
static void start_time(char *out, size_t size) {
  snprintf(out, size, "?");
  char *stat = read_file("/proc/self/stat", NULL);
  if (stat == NULL) return;
  char *fields = strrchr(stat, ')');
  if (fields != NULL) {
    /* After ") ": state is field 3; the start time is 19 fields later. */
    char *field = fields + 2;
    for (int i = 0; i < 19 && field != NULL; i++) {
      field = strchr(field, ' ');
      if (field != NULL) field++;
    }
    if (field != NULL) snprintf(out, size, "%.*s", (int)strcspn(field, " "), field);
  }
  free(stat);
}

/* A wait status as bash reports it: the exit code, or 128 + the signal. */
static int status_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

static void default_signals(void) {
  int signals[] = {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGQUIT};
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) signal(signals[i], SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

static void apply_env(void) {
  for (size_t i = 0; i < job.env_count; i++) {
    char *op = job.env_ops[i];
    if (op[0] == '-') {
      unsetenv(op + 1);
      continue;
    }
    char *eq = strchr(op + 1, '=');
    if (eq == NULL || eq == op + 1) continue;
    *eq = '\0';
    setenv(op + 1, eq + 1, 1);
    *eq = '=';
  }
}

static void link_relative_mounts(void) {
  char root[PATH_MAX];
  path_of(root, sizeof root, "%s/mounts/relative", job.dir);
  DIR *entries = opendir(root);
  if (entries == NULL) return;
  for (struct dirent *entry; (entry = readdir(entries)) != NULL;) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    char target[PATH_MAX];
    path_of(target, sizeof target, "%s/%s", root, entry->d_name);
    if (symlink(target, entry->d_name) != 0 && errno != EEXIST) {
      fprintf(stderr, "konduktor: cannot link %s: %s\n", target, strerror(errno));
    }
  }
  closedir(entries);
}

/* One rank, in a fork of the supervisor: setup, then run, in the working directory. Records the
 * phase in exit when there is a setup ("setup", "setup N" when it fails, then "run"); never
 * returns. */
static void run_rank(const char *rank_dir) {
  default_signals();
  char path[PATH_MAX];
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, 0);
  path_of(path, sizeof path, "%s/log", rank_dir);
  int log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (log_fd >= 0) {
    dup2(log_fd, 1);
    dup2(log_fd, 2);
  }
  char exit_file[PATH_MAX];
  path_of(exit_file, sizeof exit_file, "%s/exit", rank_dir);
  if (job.workdir[0] != '\0') {
    if (chdir(job.workdir) != 0) {
      printf("konduktor: cannot enter the workdir %s\n", job.workdir);
      fflush(stdout);
      put(exit_file, "setup 1");
      _exit(1);
    }
  } else {
    path_of(path, sizeof path, "%s/work", rank_dir);
    make_dirs(path);
    if (chdir(path) != 0) _exit(1);
    link_relative_mounts();
  }
  apply_env();
  char setup[PATH_MAX], run[PATH_MAX];
  path_of(setup, sizeof setup, "%s/setup.sh", job.dir);
  path_of(run, sizeof run, "%s/run.sh", job.dir);
  struct stat setup_stat;
  if (stat(setup, &setup_stat) == 0 && setup_stat.st_size > 0) {
    put(exit_file, "setup");
    pid_t child = fork();
    if (child == 0) {
      umask(job.umask);
      execl(job.bash, job.bash, setup, (char *)NULL);
      fprintf(stderr, "konduktor: cannot run %s: %s\n", job.bash, strerror(errno));
      _exit(127);
    }
    int wait_status = 0;
    while (child > 0 && waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
    }
    int status = child > 0 ? status_of(wait_status) : 1;
    if (status != 0) {
      char text[32];
      snprintf(text, sizeof text, "setup %d", status);
      put(exit_file, text);
      _exit(status);
    }
    /* Without setup, the phase can only be run: no record needed. */
    put(exit_file, "run");
  }
  umask(job.umask);
  execl(job.bash, job.bash, run, (char *)NULL);
  fprintf(stderr, "konduktor: cannot run %s: %s\n", job.bash, strerror(errno));
  _exit(127);
}

/* Milliseconds since the epoch: when things happened, as the records give them. */
static long long now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Reaps every child that has ended; false when no child is left at all (ECHILD). As the ranks'
 * subreaper, having no child means having no descendant: any live descendant's chain of parents
 * leads up to a child of ours. */
static int reap_ended(void) {
  for (;;) {
    pid_t done = waitpid(-1, NULL, WNOHANG);
    if (done > 0) continue;
    if (done < 0 && errno == EINTR) continue;
    return !(done < 0 && errno == ECHILD);
  }
}

#define MAX_PROCESSES 65536

/* The live descendants of the supervisor, up to `max`, from one read of /proc. Zombies are
 * skipped (their parents reap them, or we do once they are reparented to us). */
static size_t descendants(pid_t *out, size_t max) {
  static pid_t pids[MAX_PROCESSES], parents[MAX_PROCESSES];
  static char states[MAX_PROCESSES];
  /* 0: not known yet, 1: ours, 2: not ours. */
  static char verdict[MAX_PROCESSES];
  /* An open-addressing table from pid to index, twice as large as the process table. */
  static int slots[MAX_PROCESSES * 2];
  const size_t slot_count = sizeof slots / sizeof slots[0];
  size_t total = 0;
  DIR *proc = opendir("/proc");
  if (proc == NULL) return 0;
  for (size_t i = 0; i < slot_count; i++) slots[i] = -1;
  for (struct dirent *entry; (entry = readdir(proc)) != NULL && total < MAX_PROCESSES;) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    pid_t pid = (pid_t)atoi(entry->d_name);
    char path[64], buffer[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n <= 0) continue;
    buffer[n] = '\0';
    char *fields = strrchr(buffer, ')');
    char state;
    int ppid;
    if (fields == NULL || sscanf(fields + 2, "%c %d", &state, &ppid) != 2) continue;
    pids[total] = pid;
    parents[total] = (pid_t)ppid;
    states[total] = state;
    verdict[total] = pid == self ? 2 : ppid == self ? 1 : 0;
    size_t slot = (size_t)pid % slot_count;
    while (slots[slot] >= 0) slot = (slot + 1) % slot_count;
    slots[slot] = (int)total;
    total++;
  }
  closedir(proc);
  size_t count = 0;
  for (size_t i = 0; i < total; i++) {
    /* Walks up the chain of parents until one whose verdict is known; then marks the chain. */
    size_t at = i, depth = 0;
    static size_t chain[MAX_PROCESSES];
    while (verdict[at] == 0 && depth < MAX_PROCESSES) {
      chain[depth++] = at;
      pid_t parent = parents[at];
      size_t slot = (size_t)parent % slot_count;
      while (slots[slot] >= 0 && pids[slots[slot]] != parent) slot = (slot + 1) % slot_count;
      if (parent <= 1 || slots[slot] < 0) {
        verdict[at] = 2;
        break;
      }
      at = (size_t)slots[slot];
    }
    for (size_t k = 0; k < depth; k++) verdict[chain[k]] = verdict[at];
    if (verdict[i] == 1 && states[i] != 'Z' && states[i] != 'X' && count < max) out[count++] = pids[i];
  }
  return count;
}

/* Ends every process the job started, wherever it went: SIGTERM (and SIGCONT, so a stopped one
 * sees it), SIGKILL to whatever is left after the grace period, until no child is left. A job
 * that left nothing behind costs one waitpid here. A descendant that cannot be signalled (it
 * became another user) is given up on a few seconds after the grace period, with a complaint. */
static void end_descendants(void) {
  static pid_t found[MAX_PROCESSES];
  const size_t max = sizeof found / sizeof found[0];
  long long deadline = now_ms() + job.grace_ms, give_up = deadline + 5000;
  int terminated = 0;
  long pause_us = 1000;
  while (reap_ended()) {
    size_t count = descendants(found, max);
    long long now = now_ms();
    if (now >= give_up) {
      for (size_t i = 0; i < count; i++) {
        complain("konduktor-supervise: process %d of the job could not be ended\n", found[i]);
      }
      return;
    }
    for (size_t i = 0; i < count; i++) {
      if (now >= deadline) {
        kill(found[i], SIGKILL);
      } else if (!terminated) {
        kill(found[i], SIGTERM);
        kill(found[i], SIGCONT);
      }
    }
    terminated = 1;
    struct timespec pause = {0, pause_us * 1000};
    nanosleep(&pause, NULL);
    if (pause_us < 50000) pause_us *= 2;
  }
}

/* Stops the ranks and everything they started (see end_descendants). */
static void stop_ranks(void) {
  end_descendants();
}

static void on_cancel(void) {
  long long ended = now_ms();
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  stop_ranks();
  char path[PATH_MAX], text[96];
  snprintf(text, sizeof text, "status=cancelled attempt=%d ended=%lld", attempt, ended);
  put(path_of(path, sizeof path, "%s/final", job.dir), text);
  notify();
  _exit(0);
}

/* One job, in a fork of the launcher. Never returns. */
static void supervise(const char *dir) {
  self = getpid();
  /* konduktor refuses homes this long; a request that is one anyway runs nothing. */
  if (strlen(dir) > PATH_MAX - 256) _exit(1);
  setpgid(0, 0);
  /* Descendants that detach (setsid, double fork, daemons) are reparented to us, not to init:
   * they stay findable, and are ended with the job. */
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    complain("konduktor-supervise: cannot become a child subreaper: %s\n", strerror(errno));
  }
  umask(077);
  int null_fd = open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    dup2(null_fd, 0);
    dup2(null_fd, 1);
  }
  char path[PATH_MAX];
  /* supervisor.log is made only when there is something to say (see complain). */
  if (null_fd >= 0) dup2(null_fd, 2);
  if (chdir(dir) != 0) _exit(1);
  job.dir = dir;
  if (!read_launch()) _exit(0);
  /* First of all, record who supervises the job: any konduktor process adopts it from this. */
  char started[64], text[160];
  start_time(started, sizeof started);
  snprintf(text, sizeof text, "%d %s %lld", self, started, now_ms());
  put(path_of(path, sizeof path, "%s/supervisor", dir), text);
  read_gpus();

  /* Signals are taken synchronously (sigwaitinfo): a cancel can never slip between checks. */
  sigset_t watched;
  sigemptyset(&watched);
  sigaddset(&watched, SIGCHLD);
  sigaddset(&watched, SIGTERM);
  sigaddset(&watched, SIGINT);
  sigaddset(&watched, SIGHUP);
  signal(SIGCHLD, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  sigprocmask(SIG_BLOCK, &watched, NULL);

  /* As many ranks as the task asks: a pid is at most 11 characters and a separator. */
  pid_t *pids = calloc((size_t)job.num_nodes, sizeof *pids);
  char *pid_list = malloc((size_t)job.num_nodes * 12 + 1);
  if (pids == NULL || pid_list == NULL) {
    complain("konduktor-supervise: no memory for %d ranks\n", job.num_nodes);
    _exit(1);
  }
  attempt = job.first_attempt;
  for (;;) {
    char attempt_dir[PATH_MAX];
    path_of(attempt_dir, sizeof attempt_dir, "%s/attempt-%d", dir, attempt);
    size_t listed = 0;
    pid_list[0] = '\0';
    for (int rank = 0; rank < job.num_nodes; rank++) {
      char rank_dir[PATH_MAX], value[32];
      path_of(rank_dir, sizeof rank_dir, "%s/rank-%d", attempt_dir, rank);
      /* konduktor creates attempt 0's directories; restarts create their own. */
      path_of(path, sizeof path, "%s/output", rank_dir);
      struct stat output_stat;
      if (stat(path, &output_stat) != 0) make_dirs(path);
      pid_t pid = fork();
      if (pid == 0) {
        snprintf(value, sizeof value, "%d", rank);
        setenv("RANK", value, 1);
        setenv("JOB_COMPLETION_INDEX", value, 1);
        snprintf(value, sizeof value, "%d", attempt);
        setenv("RESTART_ATTEMPT", value, 1);
        setenv("KONDUKTOR_OUTPUT_DIR", path, 1);
        /* The GPUs admission gave this rank; an empty line hides every GPU from a job that asked
         * none. */
        if ((size_t)rank < job.gpu_count) setenv("CUDA_VISIBLE_DEVICES", job.gpu_lines[rank], 1);
        run_rank(rank_dir);
      }
      pids[rank] = pid;
      if (pid > 0) {
        listed += (size_t)snprintf(pid_list + listed, (size_t)job.num_nodes * 12 + 1 - listed, "%s%d",
                                   rank == 0 ? "" : " ", pid);
      }
    }
    put(path_of(path, sizeof path, "%s/pids", attempt_dir), pid_list);
    /* The first attempt needs no record (readers fall back to it) and no wake-up (whoever started
     * the job marks it running); a restart needs both. */
    if (attempt != job.first_attempt) {
      snprintf(text, sizeof text, "%d", attempt);
      put(path_of(path, sizeof path, "%s/attempt", dir), text);
      notify();
    }

    int failed_rank = -1, failed_wait = 0, left = job.num_nodes;
    long long ended = 0;
    for (int rank = 0; rank < job.num_nodes; rank++) {
      if (pids[rank] <= 0) {
        /* The fork failed: the rank counts as failed with bash's "cannot fork" status. */
        failed_rank = rank;
        failed_wait = 254;
      }
    }
    while (left > 0 && failed_rank < 0) {
      int wait_status;
      pid_t done = waitpid(-1, &wait_status, WNOHANG);
      if (done == 0 || (done < 0 && errno == EINTR)) {
        siginfo_t info;
        int signal_number = sigwaitinfo(&watched, &info);
        if (signal_number == SIGTERM || signal_number == SIGINT || signal_number == SIGHUP) {
          on_cancel();
        }
        continue;
      }
      if (done < 0) break; /* no child left: cannot happen while ranks are counted */
      int rank = 0;
      while (rank < job.num_nodes && pids[rank] != done) rank++;
      if (rank == job.num_nodes) continue;
      left--;
      pids[rank] = 0;
      int status = status_of(wait_status);
      ended = now_ms();
      if (status != 0) {
        failed_rank = rank;
        failed_wait = status;
      }
    }

    if (failed_rank < 0) {
      /* What the ranks left running in the background ends with the job, as in a container, and
       * before the job's end is recorded: its resources are free only once nothing of it runs. */
      stop_ranks();
      snprintf(text, sizeof text, "status=succeeded attempt=%d ended=%lld", attempt, ended);
      put(path_of(path, sizeof path, "%s/final", dir), text);
      notify();
      _exit(0);
    }
    if (ended == 0) ended = now_ms();
    stop_ranks();
    if (attempt - job.first_attempt < job.max_restarts) {
      attempt++;
      continue;
    }
    snprintf(text, sizeof text, "status=failed attempt=%d rank=%d wait=%d ended=%lld", attempt,
             failed_rank, failed_wait, ended);
    put(path_of(path, sizeof path, "%s/final", dir), text);
    notify();
    _exit(0);
  }
}

int main(int argc, char **argv) {
  (void)argv;
  if (argc != 1) {
    fprintf(stderr, "usage: konduktor-supervise < job directories, each ended by a NUL\n");
    return 2;
  }
  /* The answers may find nobody reading (konduktor exited): that must not end the launcher. Both
   * dispositions are reset in every supervisor. */
  signal(SIGPIPE, SIG_IGN);
  /* Supervisors are reaped by the kernel: the launcher never waits. */
  signal(SIGCHLD, SIG_IGN);
  char *request = NULL;
  size_t capacity = 0;
  ssize_t length;
  while ((length = getdelim(&request, &capacity, '\0', stdin)) > 0) {
    if (request[length - 1] != '\0') break; /* a request cut off by the end of stdin */
    pid_t pid = fork();
    if (pid == 0) {
      fclose(stdin);
      supervise(request);
    }
    if (pid > 0) setpgid(pid, pid);
    dprintf(1, "%d\n", pid > 0 ? pid : 0);
  }
  return 0;
}
