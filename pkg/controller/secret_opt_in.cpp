#include "pkg/controller/secret_opt_in.hpp"

#include <boost/json.hpp>

namespace kb::controller {

namespace {
std::string_view trimmed(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}
}  // namespace

bool secret_allows_network(const boost::json::value& secret, std::string_view network) {
  const auto* object = secret.if_object();
  const auto* metadata = object ? object->if_contains("metadata") : nullptr;
  const auto* annotations =
      metadata && metadata->is_object() ? metadata->get_object().if_contains("annotations") : nullptr;
  const auto* value = annotations && annotations->is_object()
                          ? annotations->get_object().if_contains(kAllowedNetworksAnnotation)
                          : nullptr;
  if (!value || !value->is_string() || network.empty()) return false;
  std::string_view list = value->get_string();
  while (!list.empty()) {
    auto comma = list.find(',');
    auto entry = trimmed(list.substr(0, comma));
    if (entry == "*" || entry == network) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace kb::controller
