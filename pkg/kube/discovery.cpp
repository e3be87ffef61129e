#include "pkg/kube/discovery.hpp"

#include "pkg/base/json_path.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>

namespace kb::kube {
namespace json = boost::json;

std::vector<ApiResource> parse_api_resource_list(const json::value& list) {
  std::vector<ApiResource> out;
  auto* root = list.if_object();
  if (!root) return out;
  ResourceRef gv = ResourceRef::of_api_version(base::string_at(*root, "groupVersion").value_or(""), "");
  auto* resources = root->if_contains("resources");
  if (!resources || !resources->is_array()) return out;
  // First the resources, then attach "name/sub" entries as their subresources.
  for (auto& item : resources->as_array()) {
    if (!item.is_object()) continue;
    auto& o = item.as_object();
    std::string name = base::string_at(o, "name").value_or("");
    if (name.empty() || name.find('/') != std::string::npos) continue;
    ApiResource r;
    r.group = gv.group;
    r.version = gv.version;
    r.resource = name;
    r.kind = base::string_at(o, "kind").value_or("");
    r.namespaced = base::bool_at(o, "namespaced").value_or(false);
    if (auto* verbs = o.if_contains("verbs"); verbs && verbs->is_array())
      for (auto& v : verbs->as_array())
        if (v.is_string()) r.verbs.emplace_back(v.as_string());
    out.push_back(std::move(r));
  }
  for (auto& item : resources->as_array()) {
    if (!item.is_object()) continue;
    std::string name = base::string_at(item.as_object(), "name").value_or("");
    auto slash = name.find('/');
    if (slash == std::string::npos) continue;
    for (auto& r : out)
      if (r.resource == name.substr(0, slash)) r.subresources.push_back(name.substr(slash + 1));
  }
  for (auto& r : out) std::sort(r.subresources.begin(), r.subresources.end());
  return out;
}

Discovery::Discovery(Client client) : client_(std::move(client)) {}

std::optional<std::vector<ApiResource>> Discovery::resources(const std::string& api_version) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(api_version); it != cache_.end()) return it->second;
  }
  ResourceRef gv = ResourceRef::of_api_version(api_version, "");
  std::optional<std::vector<ApiResource>> result;
  RawRequest request;
  request.path = gv.group_version_path();
  RawResponse response = client_.raw(request);
  if (response.status == 404) {
    result = std::nullopt;
  } else if (response.status >= 300) {
    throw decode_api_error(response.status, response.body, "GET", request.path);
  } else {
    json::error_code ec;
    json::value list = json::parse(response.body, ec);
    if (ec) throw KubeError("discovery of " + api_version + ": the answer is not valid JSON");
    result = parse_api_resource_list(list);
  }
  std::lock_guard lock(mutex_);
  cache_[api_version] = result;
  return result;
}

bool Discovery::has_group_version(const std::string& api_version) { return resources(api_version).has_value(); }

bool Discovery::has_resource(const std::string& group, const std::string& version, const std::string& resource) {
  auto list = resources(group.empty() ? version : group + "/" + version);
  if (!list) return false;
  for (auto& r : *list)
    if (r.resource == resource) return true;
  return false;
}

std::optional<ApiResource> Discovery::resource_for_kind(const std::string& api_version, const std::string& kind) {
  auto list = resources(api_version);
  if (!list) return std::nullopt;
  for (auto& r : *list)
    if (r.kind == kind) return r;
  return std::nullopt;
}

std::string Discovery::preferred_version(const std::string& group) {
  if (group.empty()) return "v1";
  RawRequest request;
  request.path = "/apis/" + group;
  RawResponse response = client_.raw(request);
  if (response.status == 404) return {};
  if (response.status >= 300) throw decode_api_error(response.status, response.body, "GET", request.path);
  json::error_code ec;
  json::value doc = json::parse(response.body, ec);
  if (ec) return {};
  return base::string_at(doc, "preferredVersion", "version").value_or("");
}

void Discovery::invalidate() {
  std::lock_guard lock(mutex_);
  cache_.clear();
}

}  // namespace kb::kube
