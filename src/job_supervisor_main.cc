// mlws-job-supervisor: the tiny program the local job executor starts for each job (see
// include/mlws/jobs/executor.h). It is a separate, dependency-free binary because exec'ing the
// whole mlws binary costs ~9 ms; this one starts in well under a millisecond.
//
//   mlws-job-supervisor [--sandboxed] WORK_DIR LOG_PATH EXIT_PATH PROGRAM [ARGS...]
//       (environment = the job's). --sandboxed: PROGRAM is bwrap (see mlws/jobs/sandbox.h); it is
//       started with SIGTERM/SIGINT/SIGHUP ignored so a cancel reaches the job inside, not only
//       bwrap (whose death would SIGKILL the job at once), and the exec mode below restores them.
//   mlws-job-supervisor --exec-as UID GID -- PROGRAM [ARGS...]
//       The exec mode, run inside the sandbox: default signal handling, every capability dropped,
//       no_new_privs, then (UID >= 0) setgroups([]) + setresgid(GID) + setresuid(UID); exec.
//
// fd 3 (from the server): receives {supervisor pid, job pid} as two int64s, then is closed.
// It forks once more so the real supervisor is re-parented to init, starts the job in its own
// process group (stdout+stderr appended to LOG_PATH), waits for it, kills what is left of the
// group, and writes "<exit code> <signal> <end ms>\n" to EXIT_PATH atomically. Once the job is
// started it also writes "<supervisor pid> <job pid> <start ms>\n" to EXIT_PATH.started.
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

extern char** environ;

namespace {

void WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void Die(const char* msg) {
  WriteAll(2, msg, std::strlen(msg));
  _exit(127);
}

// --exec-as UID GID -- PROGRAM [ARGS...]
int ExecAs(int argc, char** argv) {
  if (argc < 6 || std::strcmp(argv[4], "--") != 0) Die("mlws: bad --exec-as arguments\n");
  long uid = std::strtol(argv[2], nullptr, 10);
  long gid = std::strtol(argv[3], nullptr, 10);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  }
  if (uid >= 0) {
    if (setgroups(0, nullptr) != 0 && geteuid() == 0) Die("mlws: setgroups failed\n");
    if (setresgid(static_cast<gid_t>(gid), static_cast<gid_t>(gid), static_cast<gid_t>(gid)) != 0)
      Die("mlws: cannot switch to the job's group\n");
  }
  for (int cap = 0; cap <= 63; ++cap) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  if (uid >= 0 &&
      setresuid(static_cast<uid_t>(uid), static_cast<uid_t>(uid), static_cast<uid_t>(uid)) != 0) {
    Die("mlws: cannot switch to the job's user\n");
  }
  if (uid > 0 && (setuid(0) == 0 || geteuid() == 0)) Die("mlws: privileges were not dropped\n");
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  execvp(argv[5], argv + 5);
  Die("mlws: cannot start the job's shell\n");
  return 127;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--exec-as") == 0) return ExecAs(argc, argv);
  bool sandboxed = argc > 1 && std::strcmp(argv[1], "--sandboxed") == 0;
  if (sandboxed) {
    --argc;
    ++argv;
  }
  if (argc < 5) {
    std::fprintf(stderr,
                 "usage: mlws-job-supervisor [--sandboxed] WORK_DIR LOG EXIT PROGRAM [ARGS...]\n");
    return 2;
  }
  const char* work_dir = argv[1];
  const char* log_path = argv[2];
  std::string exit_path = argv[3];
  char** command = argv + 4;
  syscall(SYS_close_range, 4U, ~0U, 0U);
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    if (devnull > 3) close(devnull);
  }
  pid_t sup = fork();
  if (sup != 0) _exit(sup < 0 ? 1 : 0);  // the server reaps this one; init adopts the supervisor
  signal(SIGTERM, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  // The server may be gone by the time the pids are written to fd 3: that must not kill us.
  signal(SIGPIPE, SIG_IGN);
  pid_t child = fork();
  if (child == 0) {
    setpgid(0, 0);
    close(3);
    // O_NOFOLLOW: the log's folder is the server's, but never follow a link planted there.
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    // Sandboxed: bwrap itself keeps ignoring them; the exec mode inside restores them.
    __sighandler_t disposition = sandboxed ? SIG_IGN : SIG_DFL;
    signal(SIGTERM, disposition);
    signal(SIGINT, disposition);
    signal(SIGHUP, disposition);
    signal(SIGPIPE, SIG_DFL);
    if (chdir(work_dir) != 0) {
      const char msg[] = "mlws: cannot enter the job's working directory\n";
      WriteAll(2, msg, sizeof msg - 1);
      _exit(127);
    }
    execve(command[0], command, environ);
    const char msg[] = "mlws: cannot start the job's shell\n";
    WriteAll(2, msg, sizeof msg - 1);
    _exit(127);
  }
  std::int64_t pids[2] = {getpid(), child > 0 ? child : 0};
  if (child > 0) {
    setpgid(child, child);
    // "<supervisor pid> <job pid> <start ms>" in EXIT_PATH.started: a server that dies before it
    // records the start finds the job here on restart and adopts it instead of running it twice.
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char line[96];
    int len = std::snprintf(line, sizeof line, "%lld %lld %lld\n", static_cast<long long>(pids[0]),
                            static_cast<long long>(pids[1]),
                            static_cast<long long>(now.tv_sec) * 1000 + now.tv_nsec / 1000000);
    std::string started = exit_path + ".started", started_tmp = started + ".tmp";
    int sfd = open(started_tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (sfd >= 0) {
      WriteAll(sfd, line, static_cast<size_t>(len));
      close(sfd);
      rename(started_tmp.c_str(), started.c_str());
    }
  }
  WriteAll(3, reinterpret_cast<const char*>(pids), sizeof pids);
  close(3);
  int code = 127, sig = 0;
  if (child > 0) {
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) {
      code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      sig = WTERMSIG(status);
      code = 128 + sig;
    }
    kill(-child, SIGKILL);  // whatever the job left behind in its process group
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  long long ms = static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  char buf[96];
  int n = std::snprintf(buf, sizeof buf, "%d %d %lld\n", code, sig, ms);
  std::string tmp = exit_path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd >= 0) {
    WriteAll(fd, buf, static_cast<size_t>(n));
    fsync(fd);
    close(fd);
    rename(tmp.c_str(), exit_path.c_str());
  }
  return 0;
}
