// An owning driver handle (PGconn, MYSQL) that also keeps the Trust alive: the drivers
// read verifull's anchors file by path, and that file lives as long as the Trust.
#pragma once

#include <utility>
#include <vector>

#include "verifull/trust.hpp"

namespace verifull {
inline namespace v0 {

template <typename Handle>
class OwnedConnection {
 public:
  using Closer = void (*)(Handle*);

  OwnedConnection() = default;
  OwnedConnection(Handle* handle, Closer close, Trust trust) : handle_(handle), close_(close) {
    trust_.push_back(std::move(trust));
  }
  OwnedConnection(OwnedConnection&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)), close_(other.close_), trust_(std::move(other.trust_)) {}
  OwnedConnection& operator=(OwnedConnection&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
      close_ = other.close_;
      trust_ = std::move(other.trust_);
    }
    return *this;
  }
  OwnedConnection(const OwnedConnection&) = delete;
  OwnedConnection& operator=(const OwnedConnection&) = delete;
  ~OwnedConnection() { reset(); }

  Handle* get() const { return handle_; }
  explicit operator bool() const { return handle_ != nullptr; }
  // Hands the handle to the caller, who must close it (PQfinish, mysql_close) and keep
  // the Trust alive while the driver may still read its anchors file.
  Handle* release() { return std::exchange(handle_, nullptr); }

 private:
  void reset() {
    if (handle_ && close_) close_(handle_);
    handle_ = nullptr;
  }
  Handle* handle_ = nullptr;
  Closer close_ = nullptr;
  std::vector<Trust> trust_;  // empty or one: Trust has no empty state
};

}  // namespace v0
}  // namespace verifull
