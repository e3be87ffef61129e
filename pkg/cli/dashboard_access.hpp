#pragma once
// Who may talk to `kubectl bitcoin dashboard`'s local server, and what they may ask. Pure.
//
// The server holds the user's Kubernetes credentials (it acts with them, as `kubectl proxy` does),
// so any page open in the same browser must not be able to use it:
// - it listens on a loopback address only (refused otherwise; see loopback_problem);
// - every path starts with a random token the URL printed by the command carries, so another
//   page cannot guess where to send requests;
// - the Host header must name the listening address (127.0.0.1:PORT, localhost:PORT or
//   [::1]:PORT): a DNS-rebinding page reaches the port under its own host name and is refused;
// - only GET, and only the page's own files and JSON API.
#include <cstdint>
#include <string>
#include <string_view>

namespace kb::cli {

// "" when `address` is a loopback address (127.0.0.0/8, ::1, localhost), else why not.
std::string loopback_problem(std::string_view address);

// Whether a Host header names this server: the loopback names with exactly `port`.
bool host_allowed(std::string_view host_header, std::uint16_t port);

struct DashboardRoute {
  enum class Kind { asset, state, networks, refused };
  Kind kind = Kind::refused;
  std::string asset;    // Kind::asset: the embedded file's path (e.g. "web/dashboard/index.html")
  std::string network;  // Kind::state: ?network=, "" for the command's default
  int status = 0;       // Kind::refused: the HTTP status
  std::string reason;   // Kind::refused: one sentence
};

// Decides what a request gets: `token` is the secret path prefix ("/<token>/...").
DashboardRoute route_dashboard_request(std::string_view method, std::string_view target, std::string_view host,
                                       std::uint16_t port, std::string_view token);

// The Content-Type of an embedded asset, from its extension.
std::string asset_content_type(std::string_view path);

}  // namespace kb::cli
