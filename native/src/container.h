// Creating a container (and joining one with exec) from a ContainerConfig:
// Prepare() turns the config into the allocation-free plan the child follows,
// Launch() clones it. Shared by the Node addon (spawn.cc) and berth-runtime.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "child.h"
#include "config.h"
#include "unique_fd.h"

namespace berth {

struct Prepared;  // opaque; must stay alive until Launch() returned
struct PreparedExec;

std::shared_ptr<Prepared> Prepare(const ContainerConfig& config, Error* e);
std::shared_ptr<PreparedExec> PrepareExec(const ExecConfig& config, Error* e);

struct Launched {
  pid_t pid = -1;        // the container's init (exec: the intermediate child, see kReportPid)
  unique_fd report;      // parent end of the report channel (O_CLOEXEC)
  unique_fd stdin_w;     // Stdio::kPipes with open_stdin
  unique_fd stdout_r;    // Stdio::kPipes
  unique_fd stderr_r;
  std::vector<std::string> cgroup_created;  // leaf cgroup dirs made for this container
};

// Clones the child; with a user namespace also writes its id maps and lets it go on.
// The child's outcome arrives on `report` (see ReadReport).
int Launch(Prepared& p, Launched* out, Error* e);
int LaunchExec(PreparedExec& p, Launched* out, Error* e);

// One message of the report channel. Returns its size (0 = EOF: execve succeeded),
// or -1 with errno (EAGAIN on a non-blocking fd). *passed_fd gets an SCM_RIGHTS fd or -1.
ssize_t ReadReport(int fd, ChildReport* r, int* passed_fd);

// waitpid(pid) retrying on EINTR; returns the status.
int Reap(pid_t pid);

}  // namespace berth
