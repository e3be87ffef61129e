#pragma once
// Semantic versions and constraints as Masterminds/semver v3 reads them (Sprig's semver and
// semverCompare; charts use `semverCompare ">=1.21-0" .Capabilities.KubeVersion.Version`).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kb::chart {

struct SemanticVersion {
  std::uint64_t major = 0, minor = 0, patch = 0;
  std::string prerelease;
  std::string metadata;
  std::string original;
  std::string to_string() const;
};

// Loose parsing: "v" prefix allowed, minor and patch optional. nullopt if invalid.
std::optional<SemanticVersion> parse_semver(std::string_view text);
int compare_semver(const SemanticVersion& a, const SemanticVersion& b);

// Throws std::invalid_argument("improper constraint: ...") or ("invalid semantic version").
bool semver_satisfies(std::string_view constraint, std::string_view version);

}  // namespace kb::chart
