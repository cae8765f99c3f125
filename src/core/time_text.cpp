#include "core/time_text.hpp"

#include <cctype>
#include <ctime>

#include "verifull/errors.hpp"
#include "verifull/policy.hpp"

namespace verifull {
inline namespace v0 {
namespace {

bool all_digits(const std::string& s, std::size_t from, std::size_t count) {
  if (from + count > s.size()) return false;
  for (std::size_t i = from; i < from + count; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

int number(const std::string& s, std::size_t from, std::size_t count) {
  return std::stoi(s.substr(from, count));
}

}  // namespace

std::int64_t parse_rfc3339(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return InputError("invalid time " + quote_input(text) + ": " + why +
                      " (expected RFC 3339, e.g. 2025-01-31T12:00:00Z)");
  };
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  if (text.size() < 20 || !all_digits(text, 0, 4) || text[4] != '-' || !all_digits(text, 5, 2) ||
      text[7] != '-' || !all_digits(text, 8, 2) || (text[10] != 'T' && text[10] != 't') ||
      !all_digits(text, 11, 2) || text[13] != ':' || !all_digits(text, 14, 2) ||
      text[16] != ':' || !all_digits(text, 17, 2)) {
    throw bad("malformed date or time");
  }
  std::tm tm{};
  tm.tm_year = number(text, 0, 4) - 1900;
  tm.tm_mon = number(text, 5, 2) - 1;
  tm.tm_mday = number(text, 8, 2);
  tm.tm_hour = number(text, 11, 2);
  tm.tm_min = number(text, 14, 2);
  tm.tm_sec = number(text, 17, 2);
  static const int days_in_month[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
      tm.tm_mday > days_in_month[tm.tm_mon] || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    throw bad("a field is out of range");
  }
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const auto digits_from = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
    if (pos == digits_from) throw bad("empty fraction of a second");
  }
  std::int64_t offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    if (!all_digits(text, pos + 1, 2) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !all_digits(text, pos + 4, 2))
      throw bad("malformed UTC offset");
    const int hours = number(text, pos + 1, 2), minutes = number(text, pos + 4, 2);
    if (hours > 23 || minutes > 59) throw bad("UTC offset out of range");
    offset = (text[pos] == '+' ? 1 : -1) * (hours * 3600 + minutes * 60);
    pos += 6;
  } else {
    throw bad("missing time zone (Z or an offset)");
  }
  if (pos != text.size()) throw bad("trailing characters");
  if (tm.tm_sec == 60) tm.tm_sec = 59;  // a leap second verifies like the second before it
  return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

}  // namespace v0

namespace detail {

std::string rfc3339(std::int64_t unix_seconds) {
  std::tm tm{};
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::int64_t unix_time(const ASN1_TIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string rfc3339(const ASN1_TIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) return "invalid";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace detail
}  // namespace verifull
