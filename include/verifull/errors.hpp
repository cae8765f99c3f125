// Exceptions of the C++ API. Outcomes of a verification ("not trusted") are not
// exceptions: they are values in a Report. These are for calls that could not run.
#pragma once

#include <stdexcept>
#include <cstddef>
#include <string>
#include <string_view>

#include "verifull/export.hpp"

namespace verifull {
inline namespace v0 {

// Bad input from the caller: a malformed CA file, a private key where a
// certificate belongs, an invalid host name, a bad pin. CLI exit code 2.
// The message is made safe for a terminal and valid UTF-8 (it may quote the input).
class VERIFULL_API InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what);
};

// The network failed before anything could be verified. CLI exit code 3.
class VERIFULL_API NetworkError : public std::runtime_error {
 public:
  explicit NetworkError(const std::string& what);
};

// How a message quotes the input it refuses: in double quotes, any password replaced by
// ***, controls and invalid UTF-8 escaped as \XX, and at most the first
// max_excerpt_bytes bytes of it, then `..." (N bytes)`, so a message stays one short
// line whatever was given (a whole file line, a megabyte of garbage).
constexpr std::size_t max_excerpt_bytes = 100;
VERIFULL_API std::string quote_input(std::string_view input);

}  // namespace v0
}  // namespace verifull
