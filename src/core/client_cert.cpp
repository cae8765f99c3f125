#include "core/client_cert.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <fstream>

#include "core/cert_facts.hpp"
#include "core/openssl_types.hpp"
#include "verifull/errors.hpp"

namespace verifull::detail {
namespace {

// Certificates and keys are small; a bound keeps a wrong path (a device, a huge file)
// from being read whole.
constexpr std::size_t kMaxFileBytes = 1024 * 1024;

std::string shown(const ClientSetting& s) { return s.name + " \"" + escape_display(s.value.substr(0, 300)) + "\""; }

std::string read_small_file(const ClientSetting& s, const char* what) {
  struct stat st {};
  if (::stat(s.value.c_str(), &st) != 0)
    throw InputError("the " + std::string(what) + " " + shown(s) + " cannot be read: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw InputError("the " + std::string(what) + " " + shown(s) + " is not a regular file");
  if (static_cast<std::size_t>(st.st_size) > kMaxFileBytes)
    throw InputError("the " + std::string(what) + " " + shown(s) + " is larger than 1 MiB; it is not a PEM " + what);
  std::ifstream in(s.value, std::ios::binary);
  if (!in) throw InputError("the " + std::string(what) + " " + shown(s) + " cannot be read: " + std::strerror(errno));
  // Bounded by the read itself too: a file whose size stat() does not tell (/proc) stops here.
  std::string content(kMaxFileBytes + 1, '\0');
  in.read(&content[0], static_cast<std::streamsize>(content.size()));
  content.resize(static_cast<std::size_t>(in.gcount()));
  if (content.size() > kMaxFileBytes)
    throw InputError("the " + std::string(what) + " " + shown(s) + " is larger than 1 MiB; it is not a PEM " + what);
  return content;
}

// libpq's rule (fe-secure-openssl.c, initialize_SSL): a key owned by this user may be
// read by its owner only; one owned by root (keys an administrator installs) may also be
// read by the group, and neither may be writable or executable by the group nor
// reachable by others. libpq checks no other owner; verifull holds a key owned by anyone
// else to root's rule, since a key everyone may read is no secret whoever owns it.
void refuse_loose_permissions(const ClientSetting& key) {
  struct stat st {};
  if (::stat(key.value.c_str(), &st) != 0)
    throw InputError("the client key " + shown(key) + " cannot be read: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw InputError("the client key " + shown(key) + " is not a regular file");
  const bool mine = st.st_uid == ::geteuid();
  const mode_t loose = mine ? (st.st_mode & (S_IRWXG | S_IRWXO)) : (st.st_mode & (S_IWGRP | S_IXGRP | S_IRWXO));
  if (loose) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw InputError("the client key " + shown(key) + " has mode " + mode +
                     ", so users other than its owner can read or change it; the key must be readable by its owner "
                     "only: chmod 0600 (or, owned by root, 0640), as libpq requires");
  }
}

struct PassphraseUse {
  const std::string* passphrase;
  bool asked = false;
};

int give_passphrase(char* buf, int size, int /*rwflag*/, void* userdata) {
  auto* use = static_cast<PassphraseUse*>(userdata);
  use->asked = true;
  if (use->passphrase->empty() || use->passphrase->size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buf, use->passphrase->data(), use->passphrase->size());
  return static_cast<int>(use->passphrase->size());
}

}  // namespace

void check_client_certificate(const ClientSetting& cert, const ClientSetting& key, const ClientSetting& passphrase) {
  if (cert.value.empty() && key.value.empty() && passphrase.value.empty()) return;
  if (cert.value.empty())
    throw InputError(key.value.empty() ? passphrase.name + " is given without a client key and certificate (give " +
                                             cert.name + " and " + key.name + ")"
                                       : key.name + " is given without a client certificate: give " + cert.name);
  if (key.value.empty())
    throw InputError(cert.name + " is given without its private key: give " + key.name +
                     " (a file only you can read, mode 0600)");
  for (const auto* s : {&cert, &key, &passphrase})
    if (s->value.find('\0') != std::string::npos) throw InputError(s->name + " holds a NUL byte");

  const std::string cert_pem = read_small_file(cert, "client certificate");
  BioPtr cert_bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  X509Ptr leaf(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!leaf) throw InputError("the client certificate " + shown(cert) + " holds no PEM certificate");

  refuse_loose_permissions(key);
  const std::string key_pem = read_small_file(key, "client key");
  BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  PassphraseUse use{&passphrase.value};
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, give_passphrase, &use), EVP_PKEY_free);
  ERR_clear_error();
  if (!pkey) {
    if (use.asked && passphrase.value.empty())
      throw InputError("the client key " + shown(key) + " is encrypted; give its passphrase (" + passphrase.name + ")");
    if (use.asked)
      throw InputError("the passphrase (" + passphrase.name + ") does not decrypt the client key " + shown(key));
    throw InputError("the client key " + shown(key) + " holds no PEM private key");
  }
  if (X509_check_private_key(leaf.get(), pkey.get()) != 1) {
    ERR_clear_error();
    throw InputError("the client key " + shown(key) + " does not belong to the client certificate " + shown(cert) +
                     " (their public keys differ)");
  }
}

void check_client_certificate(const Policy& policy) {
  check_client_certificate({policy.client_cert, "client_cert"}, {policy.client_key, "client_key"},
                           {policy.client_key_passphrase, "client_key_passphrase"});
}

}  // namespace verifull::detail
