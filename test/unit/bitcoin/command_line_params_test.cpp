#include "pkg/bitcoin/command_line_params.hpp"

#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>

using kb::bitcoin::InvalidParamError;
using kb::bitcoin::parse_command_line_params;

TEST_CASE("JSON words become JSON values, other words plain strings") {
  auto params = parse_command_line_params(
      {"10", "-1.5", "true", "null", R"({"a":1})", "[1,2]", R"("quoted")", "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
       "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206", "add", "10.0.0.2:18444", ""});
  CHECK(boost::json::serialize(params) ==
        R"([10,-1.5E0,true,null,{"a":1},[1,2],"quoted","mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",)"
        R"("0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206","add","10.0.0.2:18444",""])");
  CHECK(parse_command_line_params({}).empty());
}

TEST_CASE("a word that starts like JSON but is not is refused, showing it") {
  try {
    parse_command_line_params({"getblock", R"({"verbosity": 2)"});
    FAIL("no error");
  } catch (const InvalidParamError& error) {
    CHECK(error.position() == 2);
    CHECK(error.text() == R"({"verbosity": 2)");
    CHECK(std::string(error.what()).find(R"(param 2 is not valid JSON: {"verbosity": 2)") == 0);
  }
  CHECK_THROWS_AS(parse_command_line_params({"[1,"}), InvalidParamError);
  CHECK_THROWS_AS(parse_command_line_params({"\"open"}), InvalidParamError);
}
