#include "verifull/report.hpp"

#include <nlohmann/json.hpp>

namespace verifull {
inline namespace v0 {

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::ok: return "ok";
    case Outcome::untrusted_issuer: return "untrusted_issuer";
    case Outcome::name_mismatch: return "name_mismatch";
    case Outcome::expired: return "expired";
    case Outcome::not_yet_valid: return "not_yet_valid";
    case Outcome::bad_usage: return "bad_usage";
    case Outcome::weak_crypto: return "weak_crypto";
    case Outcome::pin_mismatch: return "pin_mismatch";
    case Outcome::invalid_chain: return "invalid_chain";
    case Outcome::engines_disagree: return "engines_disagree";
    case Outcome::tls_unavailable: return "tls_unavailable";
    case Outcome::protocol_violation: return "protocol_violation";
    case Outcome::handshake_failed: return "handshake_failed";
    case Outcome::name_not_resolved: return "name_not_resolved";
    case Outcome::connection_refused: return "connection_refused";
    case Outcome::timeout: return "timeout";
    case Outcome::network_error: return "network_error";
    case Outcome::connection_failed: return "connection_failed";
    case Outcome::admin_credential: return "admin_credential";
    case Outcome::weak_tls: return "weak_tls";
    case Outcome::revoked: return "revoked";
    case Outcome::crl_expired: return "crl_expired";
    case Outcome::crl_bad_signature: return "crl_bad_signature";
    case Outcome::crl_missing: return "crl_missing";
  }
  return "unknown";
}

int outcome_exit_code(Outcome outcome) {
  switch (outcome) {
    case Outcome::ok: return 0;
    case Outcome::handshake_failed:
    case Outcome::name_not_resolved:
    case Outcome::connection_refused:
    case Outcome::timeout:
    case Outcome::network_error:
      return 3;
    case Outcome::connection_failed:  // verified; then the login or the database failed
      return 4;
    default: return 1;
  }
}

std::string Report::to_json() const {
  nlohmann::json chain_json = nlohmann::json::array();
  for (const auto& c : chain) {
    chain_json.push_back({{"subject", c.subject},
                          {"issuer", c.issuer},
                          {"sans", c.sans},
                          {"not_before", c.not_before},
                          {"not_after", c.not_after},
                          {"sha256", c.sha256},
                          {"spki_sha256", c.spki_sha256}});
  }
  nlohmann::json engines_json = nlohmann::json::array();
  for (const auto& e : engines)
    engines_json.push_back({{"engine", e.engine}, {"outcome", outcome_name(e.outcome)}, {"detail", e.detail}});
  const nlohmann::json j = {
      {"endpoint", endpoint},
      {"ok", ok()},
      {"outcome", outcome_name(outcome)},
      {"message", message},
      {"tls_version", tls_version.empty() ? nlohmann::json(nullptr) : nlohmann::json(tls_version)},
      {"cipher", cipher.empty() ? nlohmann::json(nullptr) : nlohmann::json(cipher)},
      {"anchor", anchor.empty() ? nlohmann::json(nullptr) : nlohmann::json(anchor)},
      {"anchor_sha256", anchor_sha256.empty() ? nlohmann::json(nullptr) : nlohmann::json(anchor_sha256)},
      {"engines", engines_json},
      {"warnings", warnings},
      {"chain", chain_json},
  };
  // Replace invalid UTF-8 (a hostile subject) instead of throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace v0
}  // namespace verifull
