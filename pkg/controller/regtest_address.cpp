#include "pkg/controller/regtest_address.hpp"

#include <openssl/evp.h>

#include <vector>

namespace kb::controller {
namespace {

std::string sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), size);
}

}  // namespace

std::string base58check_encode(std::string_view payload) {
  static constexpr std::string_view alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  std::string data(payload);
  data += sha256(sha256(payload)).substr(0, 4);
  // Big-number base conversion 256 → 58.
  std::vector<unsigned char> digits;  // little-endian base-58 digits
  for (unsigned char byte : data) {
    int carry = byte;
    for (auto& d : digits) {
      carry += d * 256;
      d = static_cast<unsigned char>(carry % 58);
      carry /= 58;
    }
    while (carry > 0) {
      digits.push_back(static_cast<unsigned char>(carry % 58));
      carry /= 58;
    }
  }
  std::string out;
  for (unsigned char byte : data) {
    if (byte != 0) break;
    out.push_back('1');  // each leading zero byte is a leading '1'
  }
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(alphabet[*it]);
  return out;
}

std::string derived_regtest_address(std::string_view seed) {
  std::string payload(1, static_cast<char>(0x6f));  // testnet/regtest P2PKH version
  payload += sha256(std::string("kubectl-bitcoin mining address:") + std::string(seed)).substr(0, 20);
  return base58check_encode(payload);
}

}  // namespace kb::controller
