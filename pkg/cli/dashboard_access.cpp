#include "pkg/cli/dashboard_access.hpp"

#include "pkg/cli/status_command.hpp"

#include <openssl/crypto.h>

#include <array>

namespace kb::cli {

namespace {

constexpr std::string_view kAssetDirectory = "web/dashboard/";
// The page's files: nothing else under the token is served as a file.
constexpr std::array<std::string_view, 3> kAssets{"index.html", "app.js", "style.css"};

bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

DashboardRoute refuse(int status, std::string reason) {
  return DashboardRoute{.kind = DashboardRoute::Kind::refused, .status = status, .reason = std::move(reason)};
}

}  // namespace

std::string loopback_problem(std::string_view address) {
  if (address == "localhost" || address == "::1" || address == "[::1]") return "";
  // 127.0.0.0/8 in dotted-quad form
  if (address.starts_with("127.")) {
    int dots = 0;
    int digits = 0;
    bool well_formed = true;
    for (char c : address.substr(4)) {
      if (c == '.') {
        well_formed = well_formed && digits > 0;
        ++dots;
        digits = 0;
      } else if (c >= '0' && c <= '9' && digits < 3) {
        ++digits;
      } else {
        well_formed = false;
      }
    }
    if (well_formed && dots == 2 && digits > 0) return "";
  }
  return "--address " + std::string(address) +
         " is not a loopback address; the dashboard acts with your Kubernetes credentials, so it listens on "
         "127.0.0.1, ::1 or localhost only (to look from another machine, forward the port over SSH)";
}

bool host_allowed(std::string_view host_header, std::uint16_t port) {
  const std::string suffix = ":" + std::to_string(port);
  if (!host_header.ends_with(suffix)) return false;
  auto name = host_header.substr(0, host_header.size() - suffix.size());
  return name == "127.0.0.1" || name == "localhost" || name == "[::1]";
}

DashboardRoute route_dashboard_request(std::string_view method, std::string_view target, std::string_view host,
                                       std::uint16_t port, std::string_view token) {
  if (!host_allowed(host, port)) {
    return refuse(403, "this server answers only requests for 127.0.0.1:" + std::to_string(port) +
                           " or localhost:" + std::to_string(port));
  }
  if (method != "GET") return refuse(405, "only GET is served");
  auto query_start = target.find('?');
  auto path = target.substr(0, query_start);
  auto query = query_start == std::string_view::npos ? std::string_view() : target.substr(query_start + 1);
  const std::string prefix = "/" + std::string(token) + "/";
  // The token is compared in constant time; its length is not secret.
  if (token.empty() || path.size() < prefix.size() || !same_secret(path.substr(0, prefix.size()), prefix)) {
    return refuse(404, "not found (open the URL the dashboard command printed)");
  }
  auto rest = path.substr(prefix.size());
  if (rest.empty()) rest = "index.html";
  if (rest == "api/networks") return DashboardRoute{.kind = DashboardRoute::Kind::networks};
  if (rest == "api/state") {
    std::string network;
    for (std::size_t start = 0; start <= query.size() && !query.empty();) {
      auto end = query.find('&', start);
      if (end == std::string_view::npos) end = query.size();
      auto pair = query.substr(start, end - start);
      if (pair.starts_with("network=")) network = pair.substr(8);
      start = end + 1;
    }
    if (!network.empty()) {
      if (auto problem = network_name_problem(network); !problem.empty()) {
        return refuse(400, "network: " + problem);
      }
    }
    return DashboardRoute{.kind = DashboardRoute::Kind::state, .network = network};
  }
  for (auto asset : kAssets) {
    if (rest == asset)
      return DashboardRoute{.kind = DashboardRoute::Kind::asset,
                            .asset = std::string(kAssetDirectory) + std::string(asset)};
  }
  return refuse(404, "not found");
}

std::string asset_content_type(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace kb::cli
