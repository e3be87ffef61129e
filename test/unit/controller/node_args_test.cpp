// Pure tests: spec.args read the way Bitcoin Core's ArgsManager reads a command line, and the
// spellings of every option the controller manages refused.
#include "pkg/controller/node_args.hpp"

#include <doctest/doctest.h>

using namespace kb::controller;

namespace {
std::optional<RefusedArg> refusal_of(const std::string& arg) {
  auto refused = refused_args({arg});
  if (refused.empty()) return std::nullopt;
  return refused.front();
}
}  // namespace

TEST_CASE("tokens are read as bitcoind reads them: --x is -x, -nox negates, a section before the dot") {
  auto plain = parse_core_option("-txindex");
  REQUIRE(plain);
  CHECK(plain->name == "txindex");
  CHECK_FALSE(plain->value);
  CHECK_FALSE(plain->negated);

  auto dashes = parse_core_option("--rpcport=1");
  REQUIRE(dashes);
  CHECK(dashes->name == "rpcport");
  CHECK(dashes->value == "1");

  auto negated = parse_core_option("-norpcauth");
  REQUIRE(negated);
  CHECK(negated->name == "rpcauth");
  CHECK(negated->negated);

  auto double_negative = parse_core_option("-noregtest=0");  // -regtest=1, with a warning
  REQUIRE(double_negative);
  CHECK(double_negative->name == "regtest");
  CHECK(double_negative->negated);
  CHECK(double_negative->value == "0");

  auto section = parse_core_option("-regtest.rpcport=1");
  REQUIRE(section);
  CHECK(section->section == "regtest");
  CHECK(section->name == "rpcport");

  // Only the key is split: dots and '=' in the value stay.
  auto fee = parse_core_option("-fallbackfee=0.0001");
  REQUIRE(fee);
  CHECK(fee->name == "fallbackfee");
  CHECK(fee->section.empty());
  CHECK(fee->value == "0.0001");
  auto nested = parse_core_option("-uacomment=a=b.c");
  REQUIRE(nested);
  CHECK(nested->value == "a=b.c");

  CHECK_FALSE(parse_core_option("txindex"));
  CHECK_FALSE(parse_core_option(""));
  CHECK_FALSE(parse_core_option("-"));
}

TEST_CASE("every spelling of a managed option is refused and the message names the option") {
  struct Case {
    const char* arg;
    const char* option;
    ArgRefusal refusal;
  };
  const Case cases[] = {
      {"--rpcport=1", "-rpcport", ArgRefusal::managed},
      {"-rpcport=1", "-rpcport", ArgRefusal::managed},
      {"-norpcauth", "-rpcauth", ArgRefusal::managed},
      {"-rpcauth=eve:00$11", "-rpcauth", ArgRefusal::managed},
      {"-rpcuser=eve", "-rpcuser", ArgRefusal::managed},
      {"--rpcpassword=x", "-rpcpassword", ArgRefusal::managed},
      {"-noregtest", "-regtest", ArgRefusal::managed},
      {"-noregtest=0", "-regtest", ArgRefusal::managed},
      {"-regtest=0", "-regtest", ArgRefusal::managed},
      {"-signet", "-signet", ArgRefusal::managed},
      {"-testnet", "-testnet", ArgRefusal::managed},
      {"-testnet4", "-testnet4", ArgRefusal::managed},
      {"--testnet4=1", "-testnet4", ArgRefusal::managed},
      {"-chain=main", "-chain", ArgRefusal::managed},
      {"-chain=regtest", "-chain", ArgRefusal::managed},
      {"-conf=x", "-conf", ArgRefusal::managed},
      {"-noconf", "-conf", ArgRefusal::managed},
      {"-includeconf=x", "-includeconf", ArgRefusal::managed},
      {"-datadir=/x", "-datadir", ArgRefusal::managed},
      {"-settings=x", "-settings", ArgRefusal::managed},
      {"-nosettings", "-settings", ArgRefusal::managed},
      {"-pid=/x", "-pid", ArgRefusal::managed},
      {"-rpccookiefile=x", "-rpccookiefile", ArgRefusal::managed},
      {"-rpccookieperms=group", "-rpccookieperms", ArgRefusal::managed},
      {"-bind=x", "-bind", ArgRefusal::managed},
      {"-whitebind=x", "-whitebind", ArgRefusal::managed},
      {"-rpcbind=127.0.0.1", "-rpcbind", ArgRefusal::managed},
      {"-rpcallowip=x", "-rpcallowip", ArgRefusal::managed},
      {"-server=0", "-server", ArgRefusal::managed},
      {"-noserver", "-server", ArgRefusal::managed},
      {"-listen=0", "-listen", ArgRefusal::managed},
      {"-nolisten", "-listen", ArgRefusal::managed},
      {"-port=1", "-port", ArgRefusal::managed},
      {"-blocknotify=x", "-blocknotify", ArgRefusal::runs_command},
      {"-alertnotify=x", "-alertnotify", ArgRefusal::runs_command},
      {"-walletnotify=x", "-walletnotify", ArgRefusal::runs_command},
      {"-startupnotify=x", "-startupnotify", ArgRefusal::runs_command},
      {"--shutdownnotify=x", "-shutdownnotify", ArgRefusal::runs_command},
      {"-daemon", "-daemon", ArgRefusal::foreground},
      {"-daemonwait=1", "-daemonwait", ArgRefusal::foreground},
  };
  for (const auto& c : cases) {
    CAPTURE(c.arg);
    auto refused = refusal_of(c.arg);
    REQUIRE(refused);
    CHECK(refused->option == c.option);
    CHECK(refused->refusal == c.refusal);
    CHECK(refused->message().find(std::string(c.option) + ",") != std::string::npos);
    CHECK(refused->message().find(std::string("\"") + c.arg + "\"") != std::string::npos);
  }
  // Every locked option is refused in each of its spellings.
  for (const auto& locked : locked_options()) {
    const std::string name(locked.name);
    for (const auto& spelling : {"-" + name, "--" + name, "-" + name + "=1", "-no" + name, "-no" + name + "=0",
                                 "--no" + name + "=1", "-regtest." + name + "=1"}) {
      CAPTURE(spelling);
      CHECK(refusal_of(spelling));
    }
  }
}

TEST_CASE("section prefixes and tokens bitcoind does not read as options are refused") {
  for (const char* arg : {"-regtest.rpcport=1", "-main.x", "-main.txindex=1", "--test.norpcauth", "-regtest.txindex"}) {
    CAPTURE(arg);
    auto refused = refusal_of(arg);
    REQUIRE(refused);
    CHECK(refused->refusal == ArgRefusal::section_prefix);
    CHECK(refused->message().find("section") != std::string::npos);
  }
  for (const char* arg : {"txindex", "", "-", "--", "-=1", "-no", "---rpcport=1", "rpcport=1"}) {
    CAPTURE(arg);
    auto refused = refusal_of(arg);
    REQUIRE(refused);
    CHECK(refused->refusal == ArgRefusal::not_an_option);
  }
}

TEST_CASE("ordinary options pass, including look-alikes of managed names") {
  for (const char* arg :
       {"-txindex", "-txindex=1", "--txindex", "-fallbackfee=0.0001", "-debug=net", "-nodebug", "-debug=rpc",
        "-acceptnonstdtxn=1", "-listenonion=1", "-portx=1", "-rpcservertimeout=60", "-rpcworkqueue=64",
        "-uacomment=a.b", "-blockfilterindex=1", "-peerbloomfilters", "-rpcthreads=4", "-dbcache=100", "-noserverx"}) {
    CAPTURE(arg);
    CHECK_FALSE(refusal_of(arg));
  }
}

TEST_CASE("all refused entries are reported, in order, with their index") {
  auto refused = refused_args({"-txindex", "-rpcport=1", "-debug=net", "-regtest.x=1"});
  REQUIRE(refused.size() == 2);
  CHECK(refused[0].index == 1);
  CHECK(refused[1].index == 3);
  auto text = describe(refused);
  CHECK(text.find("spec.args[1] \"-rpcport=1\" sets -rpcport, which the controller manages") != std::string::npos);
  CHECK(text.find("; spec.args[3]") != std::string::npos);
  CHECK(describe({}).empty());
}
