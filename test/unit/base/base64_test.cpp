#include "pkg/base/base64.hpp"

#include <doctest/doctest.h>

using kb::base::base64_decode;
using kb::base::base64_encode;

TEST_CASE("RFC 4648 test vectors") {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    CHECK(base64_encode(plain[i]) == coded[i]);
    CHECK(base64_decode(coded[i]) == std::string(plain[i]));
  }
}

TEST_CASE("binary round trip and invalid input") {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(char(i));
  CHECK(base64_decode(base64_encode(bytes)) == bytes);
  CHECK_FALSE(base64_decode("Zm9v!").has_value());
  CHECK_FALSE(base64_decode("Zg==Zg").has_value());
  CHECK(base64_decode("Zm9v\nYmFy\n") == std::string("foobar"));
}
