#pragma once
// Which container images a BitcoinNetwork may run. Creating a network is "run this image in my
// namespace with this network's credentials and the controller's network access to it", so an
// operator can restrict spec.image to known repositories (serve --allowed-image, the chart's
// networks.allowedImages). The chart also ships the same rule as a ValidatingAdmissionPolicy
// (templates/image-policy.yaml) so the API server refuses such a network up front; the controller
// checks again because the policy may be absent (installs without the chart, older clusters,
// networks created before the list changed).
//
// Matching is textual, on the reference as written, without registry normalisation: the entry
// "bitcoin/bitcoin" allows "bitcoin/bitcoin", "bitcoin/bitcoin:28.1" and
// "bitcoin/bitcoin@sha256:...", but not "docker.io/bitcoin/bitcoin:28.1" (list both spellings) nor
// "bitcoin/bitcoin-evil". The CEL expression in the chart implements exactly the same rule.
#include <string>
#include <string_view>
#include <vector>

namespace kb::controller {

struct ImagePolicy {
  std::vector<std::string> allowed_repositories;  // empty: any image
};

// True when `image` is `repository`, `repository:<tag>` (a tag has no '/') or `repository@<digest>`
// for one of the allowed repositories, or when the list is empty.
bool image_allowed(const ImagePolicy& policy, std::string_view image);

// The condition message for a refused image (names the image and the allowed repositories).
std::string image_not_allowed_message(const ImagePolicy& policy, std::string_view image);

}  // namespace kb::controller
