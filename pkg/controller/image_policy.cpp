#include "pkg/controller/image_policy.hpp"

namespace kb::controller {

namespace {
bool from_repository(std::string_view image, std::string_view repository) {
  if (repository.empty() || !image.starts_with(repository)) return false;
  auto rest = image.substr(repository.size());
  if (rest.empty()) return true;
  // A tag cannot contain '/', so "repo:5000/other" (a registry port) is not a tag of "repo".
  if (rest.front() == ':') return rest.find('/') == std::string_view::npos;
  return rest.front() == '@';
}
}  // namespace

bool image_allowed(const ImagePolicy& policy, std::string_view image) {
  if (policy.allowed_repositories.empty()) return true;
  for (const auto& repository : policy.allowed_repositories) {
    if (from_repository(image, repository)) return true;
  }
  return false;
}

std::string image_not_allowed_message(const ImagePolicy& policy, std::string_view image) {
  std::string allowed;
  for (const auto& repository : policy.allowed_repositories) {
    if (!allowed.empty()) allowed += ", ";
    allowed += repository;
  }
  return "spec.image " + std::string(image) + " is not from an allowed repository (" + allowed +
         "); the controller creates no pods for this network";
}

}  // namespace kb::controller
