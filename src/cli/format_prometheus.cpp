// `verifull check --format prometheus`: the Prometheus text exposition format, version
// 0.0.4, for node_exporter's textfile collector or any scraper of such a file.
#include <iomanip>
#include <set>
#include <sstream>

#include "formats.hpp"

namespace verifull::cli {

namespace {

// A label value as the format requires it: backslash, double quote and line feed escaped.
std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

struct Label {
  const char* name;
  std::string value;
};

std::string label_set(const std::vector<Label>& labels) {
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i)
    out += std::string(i ? "," : "") + labels[i].name + "=\"" + escape_label_value(labels[i].value) + "\"";
  return out + "}";
}

// The labels that tell one row from another: the endpoint and its protocol, or for a row
// that was not checked its input (without userinfo) and its line of --from.
std::vector<Label> identity(const FleetRow& row) {
  std::vector<Label> labels = {{"endpoint", monitoring_name(row)}};
  if (row.endpoint) labels.push_back({"protocol", row.endpoint->protocol == Protocol::postgres ? "postgres" : "mysql"});
  if (row.kind != FleetRow::Kind::checked && row.input.line) labels.push_back({"line", std::to_string(row.input.line)});
  return labels;
}

struct Family {
  const char* name;
  const char* help;  // no backslash or line feed: written as it is
};

constexpr Family verified_family{"verifull_endpoint_verified",
                                 "1 when verifull verified the endpoint's certificate, else 0; the outcome label "
                                 "says what happened (input_error: the URL was bad input and was not checked)."};
constexpr Family leaf_family{"verifull_leaf_expiry_seconds",
                             "Seconds until the server's own certificate (the leaf) expires; negative once it has."};
constexpr Family chain_family{"verifull_chain_expiry_seconds",
                              "Seconds until the earliest-expiring certificate of the chain (the presented "
                              "certificates and the trust anchor the chain ended at) expires; negative once it has."};
constexpr Family duration_family{"verifull_check_duration_seconds",
                                 "How long the check of the endpoint took: name resolution, probe, TLS handshake "
                                 "and verification."};

void header(const Family& family, std::ostream& out) {
  out << "# HELP " << family.name << " " << family.help << "\n# TYPE " << family.name << " gauge\n";
}

}  // namespace

void print_prometheus(const std::vector<FleetRow>& rows, std::int64_t now, std::ostream& out) {
  // The same endpoint listed twice would be the same series twice, which a scraper
  // refuses: each is reported once, from its first row.
  std::vector<const FleetRow*> reported;
  std::vector<std::string> identities;
  std::set<std::string> seen;
  for (const auto& row : rows) {
    std::string id = label_set(identity(row));
    if (!seen.insert(id).second) {
      out << "# verifull: " << (row.input.line ? "line " + std::to_string(row.input.line) : "an argument")
          << " repeats " << id << ", reported once\n";
      continue;
    }
    reported.push_back(&row);
    identities.push_back(std::move(id));
  }

  header(verified_family, out);
  for (const FleetRow* row : reported) {
    auto labels = identity(*row);
    labels.push_back({"outcome", row->outcome()});
    out << verified_family.name << label_set(labels) << " " << (row->ok() ? 1 : 0) << "\n";
  }
  header(leaf_family, out);
  for (std::size_t i = 0; i < reported.size(); ++i)
    if (reported[i]->expiry) out << leaf_family.name << identities[i] << " " << reported[i]->expiry->leaf - now << "\n";
  header(chain_family, out);
  for (std::size_t i = 0; i < reported.size(); ++i)
    if (reported[i]->expiry)
      out << chain_family.name << identities[i] << " " << reported[i]->expiry->earliest - now << "\n";
  header(duration_family, out);
  for (std::size_t i = 0; i < reported.size(); ++i) {
    if (reported[i]->kind != FleetRow::Kind::checked) continue;  // not checked: no duration
    std::ostringstream seconds;
    seconds << std::fixed << std::setprecision(6) << reported[i]->seconds;
    out << duration_family.name << identities[i] << " " << seconds.str() << "\n";
  }
}

}  // namespace verifull::cli
