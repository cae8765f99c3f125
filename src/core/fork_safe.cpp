#include "core/fork_safe.hpp"

#include <pthread.h>

#include <cstdlib>

namespace verifull::detail {
namespace {

// Readers: threads in NoForkHere scopes. Writer: the at-fork handler.
pthread_rwlock_t gate;
thread_local int depth = 0;      // this thread's NoForkHere scopes, nested
bool gate_held_for_fork = false;  // by the forking thread, between prepare and parent/child

void init_gate() {
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  // A waiting writer stops new readers: threads entering NoForkHere all the time must
  // not keep fork() waiting forever. (No thread takes the gate twice: `depth` nests.)
  pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(&gate, &attr);
  pthread_rwlockattr_destroy(&attr);
}

void before_fork() {
  // A fork() from inside verifull (depth > 0) cannot wait for itself.
  gate_held_for_fork = depth == 0 && pthread_rwlock_wrlock(&gate) == 0;
}

void after_fork_in_parent() {
  if (gate_held_for_fork) pthread_rwlock_unlock(&gate);
  gate_held_for_fork = false;
}

void after_fork_in_child() {
  // A fresh gate: the child's only thread (this one) holds no scope but its own, and
  // unlocking the parent's writer lock from the child's new thread id is not defined.
  init_gate();
  gate_held_for_fork = false;
  if (depth > 0) pthread_rwlock_rdlock(&gate);  // forked from inside a scope: it still ends with an unlock
}

void set_up() {
  init_gate();
  if (pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child) != 0) std::abort();  // out of memory at load
}

pthread_once_t set_up_once = PTHREAD_ONCE_INIT;

void enter() {
  if (depth++ > 0) return;
  pthread_once(&set_up_once, set_up);
  pthread_rwlock_rdlock(&gate);
}

void leave() {
  if (--depth == 0) pthread_rwlock_unlock(&gate);
}

// Set up at load, so the handler exists before any thread of the program forks.
[[maybe_unused]] const int set_up_at_load = (pthread_once(&set_up_once, set_up), 0);

}  // namespace

NoForkHere::NoForkHere() { enter(); }
NoForkHere::~NoForkHere() { leave(); }

AllowFork::AllowFork() : suspended_(depth) {
  if (suspended_ == 0) return;
  depth = 0;
  pthread_rwlock_unlock(&gate);
}

AllowFork::~AllowFork() {
  if (suspended_ == 0) return;
  pthread_rwlock_rdlock(&gate);
  depth = suspended_;
}

void ForkSafeMutex::lock() {
  enter();
  mutex_.lock();
}

void ForkSafeMutex::unlock() {
  mutex_.unlock();
  leave();
}

}  // namespace verifull::detail
