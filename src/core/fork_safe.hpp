// fork() while other threads use verifull.
//
// After fork() only the forking thread exists in the child, so a lock another thread held
// at that moment stays held there forever, and the child hangs on its next use (this
// happened with the trust's file mutex, and with OpenSSL's own locks: the provider
// decoders that d2i_X509 goes through, a store's lock during verification, the error
// strings during OpenSSL's first use). verifull therefore never lets fork() happen while
// one of its threads is in such a stretch: each stretch that takes a lock, parses or
// verifies certificates, or drives a TLS handshake is a NoForkHere scope, and a
// pthread_atfork handler waits until no thread is in one before fork() proceeds (it
// releases them again in the parent; the child starts with none). Waiting for the network
// is not such a stretch (AllowFork), so fork() is held up by computation only, never by a
// peer. The gate prefers the forking thread, so a busy process cannot starve fork().
//
// std::call_once needs nothing here: glibc's pthread_once restarts in the child an
// initialisation that was in progress at fork(), so every once-function builds its result
// aside and assigns it whole.
#pragma once

#include <mutex>

namespace verifull::detail {

// While one exists on this thread, fork() in another thread waits. Nests.
class NoForkHere {
 public:
  NoForkHere();
  ~NoForkHere();
  NoForkHere(const NoForkHere&) = delete;
  NoForkHere& operator=(const NoForkHere&) = delete;
};

// Inside a NoForkHere scope, a wait for the network (poll) that fork() need not wait for.
// Never while a ForkSafeMutex is held: the wait lets fork() through, lock and all.
class AllowFork {
 public:
  AllowFork();
  ~AllowFork();
  AllowFork(const AllowFork&) = delete;
  AllowFork& operator=(const AllowFork&) = delete;

 private:
  int suspended_;
};

// A mutex that is never held across fork(): held only inside a NoForkHere scope, which
// it opens itself. Use it for every lock of verifull's (with std::lock_guard).
class ForkSafeMutex {
 public:
  void lock();
  void unlock();

 private:
  std::mutex mutex_;
};

}  // namespace verifull::detail
