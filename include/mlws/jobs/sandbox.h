// The job sandbox: the bubblewrap (bwrap) command line that runs one job's process.
//
// A sandboxed job sees a fresh root made of: the system's read-only files (/usr, /etc and the
// /bin, /sbin, /lib* links or folders), an interpreter prefix outside /usr when one is named
// (e.g. ~/.pyenv), its working folder read-write, its inputs and environment read-only, its named
// outputs read-write, a private /tmp, its own /proc (own PID namespace: no other process is
// visible) and a minimal /dev. Nothing else of the host exists in it: not the server's home,
// database, key file, artifacts or other jobs. The network is shared (jobs reach the server over
// loopback HTTP).
//
// Every mount keeps its host path, so the paths the server substitutes into the command
// (${{inputs.x}}, ${{outputs.y}}) are valid inside. Folders leading to a mount are created 0755
// inside the sandbox, so an unprivileged job can reach its folders even when the host's parents
// are private (e.g. a 0700 home).
//
// Inside, the command runs through `helper --exec-as UID GID -- PROGRAM ARGS...` (the
// mlws-job-supervisor binary in its exec mode): it restores default signal handling (the
// sandbox's outer process ignores SIGTERM/SIGINT/SIGHUP so that a cancel reaches the job and not
// only bwrap), drops every capability, sets no_new_privs and, when UID >= 0, becomes that user.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::jobs {

struct SandboxMount {
  std::string source;  // host path (file or folder); must exist
  std::string target;  // path inside the sandbox (usually == source)
  bool writable = false;
};

struct SandboxSpec {
  std::string bwrap = "/usr/bin/bwrap";
  std::string helper;    // mlws-job-supervisor: bound read-only and run inside (--exec-as)
  std::string work_dir;  // bound read-write at the same path; the job's current directory
  std::vector<SandboxMount> mounts;
  // Host paths bound read-only at the same path (an interpreter's prefix outside /usr, the mlws
  // Python helpers). Missing ones are skipped.
  std::vector<std::string> read_only;
  int uid = -1;  // the job's user inside; -1 = keep the caller's
  int gid = -1;
};

// The system part of every sandbox: "/usr", "/etc", and each of /bin, /sbin, /lib, /lib32,
// /lib64, /libx32 as a symlink when the host has a symlink there, else as a read-only bind.
// `root` prefixes the host paths looked at (tests use a fake root); the arguments name the real
// paths.
std::vector<std::string> SystemMountArgs(const std::string& root = "");

// The whole argv: bwrap options, then "--", then the helper's exec mode and `command`.
std::vector<std::string> SandboxArgv(const SandboxSpec& spec,
                                     const std::vector<std::string>& command);

// Folders outside the system ones that the job's interpreter needs, read-only: for python3 and
// python on `path_env` (a PATH value), the folder above their bin/ and the prefix of the file
// they resolve to (a pyenv shim and its version, a virtualenv and its base), and `pyenv_root`.
std::vector<std::string> InterpreterPaths(const std::string& path_env,
                                          const std::string& pyenv_root);

// Runs a trivial sandbox (`/bin/true` as spec.uid through the helper) and reports why it failed:
// the server calls it once at start. Unavailable when bwrap is missing or cannot create its
// namespaces here.
Status SandboxSelfCheck(const SandboxSpec& spec);

}  // namespace mlws::jobs
