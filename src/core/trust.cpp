#include "verifull/trust.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>

#include "core/cert_facts.hpp"
#include "core/fork_safe.hpp"
#include "core/driver_files.hpp"
#include "core/pem.hpp"
#include "core/trust_data.hpp"
#include "verifull/errors.hpp"

namespace verifull {
inline namespace v0 {
namespace {

using detail::AnchorPtr;

AnchorInfo describe(const detail::Anchor& anchor, const std::string& source) {
  const X509* cert = anchor.cert();
  if (!cert) {
    throw InputError("the certificate at " + source + " line " + std::to_string(anchor.line()) +
                     " passed the structure check but OpenSSL cannot parse it; it trusts nothing");
  }
  AnchorInfo info;
  info.subject = detail::subject_of(cert);
  info.sha256 = anchor.sha256();
  info.spki_sha256 = detail::spki_pin(cert);
  info.not_before = detail::rfc3339(X509_get0_notBefore(cert));
  info.not_after = detail::rfc3339(X509_get0_notAfter(cert));
  info.not_after_unix = detail::unix_time(X509_get0_notAfter(cert));
  info.self_signed = detail::is_self_signed(cert);
  info.is_ca = X509_check_ca(const_cast<X509*>(cert)) == 1;
  return info;
}

// One anchor per distinct certificate (a bundle may hold the same CA twice).
std::shared_ptr<detail::TrustData> build(const std::vector<AnchorPtr>& anchors, std::string source) {
  auto data = std::make_shared<detail::TrustData>();
  data->source = std::move(source);
  data->store.reset(X509_STORE_new());
  if (!data->store) throw std::bad_alloc();
  std::set<std::string_view> seen;
  for (const auto& anchor : anchors)
    if (seen.insert(anchor->der()).second) data->anchors.push_back(anchor);
  return data;
}

// The one message for input over Trust::max_input_bytes.
InputError too_large(const std::string& source, const std::string& tail) {
  return InputError(source + " is larger than " + std::to_string(Trust::max_input_bytes / (1024 * 1024)) + " MiB" +
                    tail);
}

}  // namespace

Trust Trust::from_pem(std::string_view pem, const std::string& source_name) {
  if (pem.size() > max_input_bytes) throw too_large(source_name, "; that is not a CA bundle");
  return Trust(build(detail::load_anchors(pem, source_name), source_name));
}

std::string read_input_file(const std::string& path, const std::string& what) {
  const std::string source = what + " " + path;
  if (path.empty()) throw InputError("no " + what + " given (empty path)");
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  // fstat on the opened descriptor: what is checked is what is read.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw InputError(source + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw InputError(source + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw InputError(source + " is a directory; pass a PEM file");
  if (!S_ISREG(st.st_mode))
    throw InputError(source + " is not a regular file (a FIFO, socket or device); pass a PEM file, or - for "
                     "standard input");
  if (static_cast<std::uint64_t>(st.st_size) > Trust::max_input_bytes) throw too_large(source, "");
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InputError(source + ": cannot be read: " + std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > Trust::max_input_bytes) throw too_large(source, "");
  }
  return text;
}

Trust Trust::from_file(const std::string& path) {
  return from_pem(read_input_file(path, "CA file"), "CA file " + path);
}

Trust Trust::from_env(const std::string& variable) {
  const char* value = std::getenv(variable.c_str());
  if (!value) throw InputError("environment variable " + variable + " is not set");
  return from_pem(value, "environment variable " + variable);
}

std::string read_standard_input(const std::string& what) {
  const std::string source = what + " from standard input";
  std::string text;
  char buf[65536];
  while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(std::cin.gcount()));
    if (text.size() > Trust::max_input_bytes) throw too_large(source, "");
  }
  return text;
}

Trust Trust::from_stdin() { return from_pem(read_standard_input("CA bundle"), "standard input"); }

Trust Trust::from_spec(const std::string& spec) {
  if (spec == "-") return from_stdin();
  if (spec.rfind("env:", 0) == 0) return from_env(spec.substr(4));
  return from_file(spec);
}

Trust Trust::combine(const std::vector<Trust>& parts) {
  if (parts.empty()) throw InputError("no trust anchors given");
  if (parts.size() == 1) return parts.front();
  std::vector<AnchorPtr> anchors;
  std::string source;
  for (const auto& part : parts) {
    anchors.insert(anchors.end(), part.impl_->anchors.begin(), part.impl_->anchors.end());
    source += (source.empty() ? "" : " + ") + part.impl_->source;
  }
  return Trust(build(anchors, source));
}

std::string Trust::anchors_file() const {
  const detail::NoForkHere no_fork;  // digests with OpenSSL (core/fork_safe.hpp)
  // Checked on every call (the path is what a driver opens next), cheaply: the name is
  // the trust's identity, the SHA-256 of pem().
  return detail::driver_file(impl_->pem(), detail::trust_identity(*this), ".pem");
}

const std::vector<AnchorInfo>& Trust::anchors() const { return impl_->info(); }
const std::string& Trust::source() const { return impl_->source; }

std::string Trust::pem() const { return impl_->pem(); }

// The drivers verify with OpenSSL without partial chains: a path must run through the
// anchors they are given up to a self-signed root. So the anchors asked for come with
// what such a path may need from this set, found by name (no anchor is parsed): the
// anchors they were issued by, up to a root, and the anchors issued under them (an
// intermediate in the bundle, which a server that sends only its leaf relies on).
Trust Trust::narrowed(const std::vector<std::string>& anchor_sha256s) const {
  const auto& all = impl_->anchors;
  std::vector<bool> keep(all.size(), false);
  for (std::size_t i = 0; i < all.size(); ++i)
    for (const auto& wanted : anchor_sha256s)
      if (all[i]->sha256() == wanted) keep[i] = true;
  const auto issued_by = [&all](std::size_t cert, std::size_t issuer) {
    return cert != issuer && X509_NAME_cmp(all[cert]->issuer(), all[issuer]->subject()) == 0;
  };
  // Down: anchors issued under a kept one (not roots: a root is issued by nothing else).
  for (bool grew = true; grew;) {
    grew = false;
    for (std::size_t i = 0; i < all.size(); ++i)
      for (std::size_t j = 0; j < all.size() && !keep[i] && !all[i]->self_issued(); ++j)
        if (keep[j] && issued_by(i, j)) keep[i] = grew = true;
  }
  // Up: the issuers of every kept anchor. One that has none here leads to no root: the
  // driver could not verify with a subset, so it gets the whole set.
  for (bool grew = true; grew;) {
    grew = false;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (!keep[i] || all[i]->self_issued()) continue;
      bool has_issuer = false;
      for (std::size_t j = 0; j < all.size(); ++j) {
        if (!issued_by(i, j)) continue;
        has_issuer = true;
        if (!keep[j]) keep[j] = grew = true;
      }
      if (!has_issuer) return *this;
    }
  }
  std::vector<AnchorPtr> kept;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (keep[i]) kept.push_back(all[i]);
  if (kept.empty() || kept.size() == all.size()) return *this;
  return Trust(build(kept, impl_->source + " (narrowed)"));
}

// From the facts loading read (names, notAfter), so that the warnings every report
// carries parse no anchor; only an anchor that names another anchor as its issuer has
// the two parsed, to confirm it.
std::vector<std::string> Trust::warnings(std::int64_t now_unix) const {
  const auto issuer_in_bundle = [this](const detail::Anchor& anchor) {
    for (const auto& other : impl_->anchors) {
      if (other.get() == &anchor || X509_NAME_cmp(other->subject(), anchor.issuer()) != 0) continue;
      const X509* issuer = other->cert();
      const X509* cert = anchor.cert();
      if (issuer && cert && X509_check_issued(const_cast<X509*>(issuer), const_cast<X509*>(cert)) == X509_V_OK)
        return true;
    }
    return false;
  };
  constexpr std::int64_t kThirtyDays = 30 * 24 * 3600;
  std::vector<std::string> out;
  for (const auto& anchor : impl_->anchors) {
    const auto subject = [&anchor] { return detail::name_to_string(anchor->subject()); };
    if (anchor->not_after_unix() < now_unix) {
      out.push_back("anchor " + subject() + " expired on " + anchor->not_after() + "; chains to it will be refused");
    } else if (now_unix > anchor->not_after_unix() - kThirtyDays) {  // no overflow for any now_unix
      out.push_back("anchor " + subject() + " expires on " + anchor->not_after() +
                    " (within 30 days); get the provider's new CA and add it beside this one");
    }
    if (!anchor->self_issued() && !issuer_in_bundle(*anchor)) {
      out.push_back("anchor " + subject() +
                    " is not self-signed; verifull builds chains up to a root only, so add "
                    "the root CA that issued it");
    }
  }
  return out;
}

const std::string& Trust::Impl::pem() const {
  // Entered before the once: a thread inside a once must already hold the fork gate, or it
  // could wait for the gate while a thread holding it waits for the once (core/fork_safe.hpp).
  const detail::NoForkHere no_fork;
  std::call_once(pem_once, [this] {
    std::string pem;  // assigned whole: an initialisation cut short by fork() starts over (core/fork_safe.hpp)
    for (const auto& anchor : anchors) pem += detail::pem_from_der(anchor->der());
    pem_ = std::move(pem);
  });
  return pem_;
}

const std::vector<AnchorInfo>& Trust::Impl::info() const {
  const detail::NoForkHere no_fork;  // describing parses and digests with OpenSSL; before the once (see pem())
  std::call_once(info_once, [this] {
    std::vector<AnchorInfo> described;  // assigned whole: a throw leaves nothing half made
    for (const auto& anchor : anchors) described.push_back(describe(*anchor, source));
    info_ = std::move(described);
  });
  return info_;
}

X509_STORE* Trust::Impl::store_for(const X509* leaf, const STACK_OF(X509) * untrusted) const {
  detail::add_anchors_for_chain(store.get(), anchors, leaf, untrusted);
  return store.get();
}

}  // namespace v0

namespace detail {
const std::string& trust_identity(const Trust& trust) {
  const TrustData& data = trust_data(trust);
  const NoForkHere no_fork;  // before the once: see TrustData::pem()
  std::call_once(data.identity_once, [&] { data.identity = hex_lower(sha256(data.pem())); });
  return data.identity;
}
}  // namespace detail

}  // namespace verifull
