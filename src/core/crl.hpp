// Certificate revocation lists the caller gave a driver (libpq's sslcrl / sslcrldir,
// Connector/C's ssl-crl / ssl-crlpath), read by verifull too: `check` then refuses what
// the driver would refuse, and a driver's refusal is named `revoked`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "verifull/endpoint.hpp"
#include "verifull/report.hpp"

namespace verifull::detail {

// CRL files and folders of CRL files.
struct CrlLocations {
  std::vector<std::string> files;
  std::vector<std::string> folders;
  bool empty() const { return files.empty() && folders.empty(); }
};

// The CRLs an endpoint's URL parameters name (postgres: sslcrl, sslcrldir; mysql:
// ssl-crl, ssl-crlpath, with '-' or '_').
CrlLocations crl_locations(const Endpoint& endpoint);

// The subject of the first certificate of `chain` that a CRL at `where`, issued under
// that certificate's issuer name, lists as revoked. Bounded: files past 16 MiB and
// folders past 1000 entries are not read; unreadable files are skipped (the driver
// reports them).
std::optional<std::string> revoked_certificate(const std::vector<CertInfo>& chain, const CrlLocations& where);

}  // namespace verifull::detail
