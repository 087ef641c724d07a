// The event loops (edge_loop.h): accepting (each connection for the least loaded loop),
// dispatching epoll events to client connections (edge_conn.cc) and targets (edge_targets.cc),
// deadlines, and the hand-off of a connection to a tunnelling thread.
#include "edge_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#include "edge_loop_parts.h"
#include "edge_net.h"

namespace berth::edge {
namespace {

constexpr int kMaxConnections = 8192;

std::atomic<int> g_connections{0};

struct Listener : Item {
  Listener() : Item(kListener) {}
  int fd = -1;
};

}  // namespace

bool SetBlocking(int fd, bool blocking) {
  int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && fcntl(fd, F_SETFL, blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK) == 0;
}

namespace {

struct Tunnelled {
  int client;
  int node;
  std::string ip;
  std::string pending;
  std::string node_path;
};

void* TunnelThread(void* arg) {
  Tunnelled* t = static_cast<Tunnelled*>(arg);
  unique_fd client(t->client), node(t->node);
  if (!node) node = ConnectNode(t->node_path, t->ip, kUpstreamIdleMs);
  if (node) Tunnel(client.get(), node.get(), t->pending);
  delete t;
  g_connections--;
  return nullptr;
}

std::vector<Loop*> g_loops;

// A client connection this loop serves from now on.
void Adopt(Loop* loop, int fd) {
  Conn* c = new Conn();
  c->loop = loop;
  c->fd = fd;
  c->ip = PeerIp(fd);
  c->since = Clock::now();
  NoDelay(fd);
  if (!loop->Watch(fd, c)) {
    close(fd);
    delete c;
    loop->load--;
    g_connections--;
    return;
  }
  loop->conns.insert(c);
}

// Accepts what the listener has, each connection for the least loaded loop: EPOLLEXCLUSIVE wakes
// one loop, which would otherwise take a whole burst of connections (wrk's 16 at once) for itself.
void Accept(Loop* loop, int lfd) {
  while (true) {
    int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // Out of descriptors: a moment's pause rather than a busy loop on the ready listener.
      if (errno == EMFILE || errno == ENFILE) usleep(10'000);
      return;
    }
    if (g_connections.load() >= kMaxConnections) {
      close(fd);
      continue;
    }
    g_connections++;
    Loop* to = loop;
    for (Loop* l : g_loops)
      if (l->load.load(std::memory_order_relaxed) < to->load.load(std::memory_order_relaxed)) to = l;
    to->load++;
    if (to == loop) {
      Adopt(loop, fd);
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(to->inbox_mu);
      to->inbox.push_back(fd);
    }
    uint64_t one = 1;
    ssize_t w = write(to->inbox_event, &one, sizeof one);
    (void)w;  // an eventfd write fails only on overflow, when it is readable anyway
  }
}

void TakeInbox(Loop* loop) {
  uint64_t n;
  ssize_t r = read(loop->inbox_event, &n, sizeof n);
  (void)r;  // EAGAIN: another event already took the count; the inbox is read anyway
  std::vector<int> fds;
  {
    std::lock_guard<std::mutex> lock(loop->inbox_mu);
    fds.swap(loop->inbox);
  }
  for (int fd : fds) Adopt(loop, fd);
}

void Dispatch(Loop* loop, const epoll_event& e) {
  Item* item = static_cast<Item*>(e.data.ptr);
  bool in = e.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
  bool out = e.events & (EPOLLOUT | EPOLLHUP | EPOLLERR);
  bool hup = e.events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);
  if (item->kind == Item::kListener) {
    Accept(loop, static_cast<Listener*>(item)->fd);
  } else if (item->kind == Item::kInbox) {
    TakeInbox(loop);
  } else if (item->kind == Item::kClient) {
    Conn* c = static_cast<Conn*>(item);
    if (c->phase == Phase::kClosed) return;
    c->readable |= in;
    c->writable |= out;
    c->hup |= hup;
    Step(c);
  } else {
    Target* t = static_cast<Target*>(item);
    if (t->dead) return;
    t->readable |= in;
    t->writable |= out;
    t->hup |= hup;
    if (t->owner) {
      if (t->owner->phase != Phase::kClosed) Step(t->owner);
      return;
    }
    if (in) loop->PooledEvent(t);
  }
}

void Sweep(Loop* loop) {
  Clock::time_point now = Clock::now();
  std::vector<Conn*> all(loop->conns.begin(), loop->conns.end());
  for (Conn* c : all)
    if (c->phase != Phase::kClosed) CheckDeadlines(c, now);
  loop->SweepPool(now);
}

void Bury(Loop* loop) {
  for (Conn* c : loop->dead_conns) delete c;
  loop->dead_conns.clear();
  for (Target* t : loop->dead_targets) delete t;
  loop->dead_targets.clear();
}

Loop* MakeLoop(int lfd, const LoopConfig* config) {
  Loop* loop = new Loop();
  loop->config = config;
  loop->epoll = epoll_create1(EPOLL_CLOEXEC);
  loop->inbox_event = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  Listener* listener = new Listener();
  listener->fd = lfd;
  epoll_event ev{};
  // One listener in every loop's set; EPOLLEXCLUSIVE wakes one loop per new connection.
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.ptr = listener;
  epoll_event inbox{};
  inbox.events = EPOLLIN;
  inbox.data.ptr = &loop->inbox_item;
  if (loop->epoll < 0 || loop->inbox_event < 0 || epoll_ctl(loop->epoll, EPOLL_CTL_ADD, lfd, &ev) < 0 || epoll_ctl(loop->epoll, EPOLL_CTL_ADD, loop->inbox_event, &inbox) < 0) {
    std::fprintf(stderr, "berth-edge-fast: epoll/eventfd for an event loop: %s (errno %d)\n", std::strerror(errno), errno);
    _exit(1);
  }
  return loop;
}

void* RunLoop(void* arg) {
  Loop* loop = static_cast<Loop*>(arg);
  epoll_event events[256];
  Clock::time_point next_sweep = Clock::now() + std::chrono::seconds(1);
  while (true) {
    // The sweep's deadlines are checked about once a second.
    int n = epoll_wait(loop->epoll, events, 256, 1000);
    for (int i = 0; i < n; i++) Dispatch(loop, events[i]);
    Bury(loop);
    if (Clock::now() >= next_sweep) {
      Sweep(loop);
      Bury(loop);
      next_sweep = Clock::now() + std::chrono::seconds(1);
    }
  }
  return nullptr;
}

}  // namespace

bool Loop::Watch(int fd, Item* item) {
  epoll_event ev{};
  // Edge-triggered: an event sets a flag, and the state machine reads or writes until EAGAIN.
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = item;
  return epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void Loop::CloseConn(Conn* c) {
  if (c->phase == Phase::kClosed) return;
  if (c->target && c->target != c->node) CloseTarget(c->target);
  if (c->node) CloseTarget(c->node);
  c->target = c->node = nullptr;
  if (c->granted) ReleaseGrant(c->grant.container);
  c->granted = false;
  close(c->fd);
  c->fd = -1;
  c->phase = Phase::kClosed;
  conns.erase(c);
  dead_conns.push_back(c);
  load--;
  g_connections--;
}

void Loop::Handoff(Conn* c) {
  // The connection leaves this loop for good: blocking again, with the timeouts the blocking
  // code expects (a client that stops reading for 60 s is dropped).
  epoll_ctl(epoll, EPOLL_CTL_DEL, c->fd, nullptr);
  SetBlocking(c->fd, true);
  timeval tv{60, 0};
  setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  SetReceiveTimeout(c->fd, kIdleClientMs);
  Tunnelled* t = new Tunnelled{c->fd, -1, c->ip, c->in, config->node_path};
  if (c->node) {
    epoll_ctl(epoll, EPOLL_CTL_DEL, c->node->fd, nullptr);
    SetBlocking(c->node->fd, true);
    t->node = c->node->fd;
    c->node->fd = -1;
    c->node->dead = true;
    dead_targets.push_back(c->node);
    c->node = nullptr;
  }
  c->phase = Phase::kClosed;
  conns.erase(c);
  dead_conns.push_back(c);
  load--;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t th;
  if (pthread_create(&th, &attr, TunnelThread, t) != 0) {
    close(t->client);
    if (t->node >= 0) close(t->node);
    delete t;
    g_connections--;
  }
  pthread_attr_destroy(&attr);
}

void RunLoops(int lfd, int loops, const LoopConfig* config) {
  if (loops < 1) loops = 1;
  // Every loop exists before any accepts: the least loaded is chosen among them all.
  for (int i = 0; i < loops; i++) g_loops.push_back(MakeLoop(lfd, config));
  for (int i = 1; i < loops; i++) {
    pthread_t t;
    int rc = pthread_create(&t, nullptr, RunLoop, g_loops[i]);
    // Fewer loops still serve (their listener sets stay idle; their inboxes are not read, so a
    // connection handed to one would wait): fatal, as a failed start is.
    if (rc != 0) {
      std::fprintf(stderr, "berth-edge-fast: pthread_create for event loop %d of %d: %s (errno %d)\n", i + 1, loops, std::strerror(rc), rc);
      _exit(1);
    }
  }
  RunLoop(g_loops[0]);
}

}  // namespace berth::edge
