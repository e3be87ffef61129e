#pragma once
// Where the BitcoinNetwork resource lives in the Kubernetes API: its group, version, kind and
// plural, as manifests/crd.yaml declares them (checked by test/unit/api/crd_test.cpp).
#include <string>
#include <string_view>

namespace kb::api {

inline constexpr std::string_view kGroup = "bitcoin.kubectl-bitcoin.dev";
inline constexpr std::string_view kVersion = "v1";
inline constexpr std::string_view kApiVersion = "bitcoin.kubectl-bitcoin.dev/v1";
inline constexpr std::string_view kKind = "BitcoinNetwork";
inline constexpr std::string_view kPlural = "bitcoinnetworks";

// "bitcoinnetwork.bitcoin.kubectl-bitcoin.dev/<name>", the way kubectl names an object it changed.
inline std::string qualified_name(std::string_view network) {
  return "bitcoinnetwork." + std::string(kGroup) + "/" + std::string(network);
}

}  // namespace kb::api
