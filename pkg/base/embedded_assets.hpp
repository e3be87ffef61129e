#pragma once
// The files of manifests/ and chart/ compiled into the binary by hack/cmake/embed_assets.cmake.
#include <optional>
#include <span>
#include <string_view>

namespace kb::assets {

struct EmbeddedFile {
  std::string_view path;     // relative to the repository root, e.g. "manifests/crd.yaml"
  std::string_view content;  // the file's bytes
};

// Every embedded file, sorted by path.
std::span<const EmbeddedFile> all();

// The content of one embedded file, or nullopt when no such file was embedded.
std::optional<std::string_view> find(std::string_view path);

}  // namespace kb::assets
