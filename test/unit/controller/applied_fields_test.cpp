// Pure tests of holds_applied: when the live object already holds what our server-side apply
// would write, given the fields other managers added (managedFields in the shape the API server
// writes them).
#include "pkg/controller/applied_fields.hpp"

#include "pkg/base/yaml_parse.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using kb::controller::applied_difference;
using kb::controller::holds_applied;
using kb::controller::keep_own_applied_fields;
namespace json = boost::json;

namespace {
const json::value kDesired = kb::base::parse_yaml(R"(
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: bitcoind
          image: bitcoin/bitcoin:29.3
          args: [-regtest, -printtoconsole=1]
          env:
            - {name: BC_RPC_AUTH, value: x}
            - {name: HOME, value: /data}
)");

// The live object: `env` as given, and managedFields with our Apply entry owning `owned_env`.
json::value live(std::string_view env_yaml, std::string_view owned_env_yaml = "[BC_RPC_AUTH, HOME]",
                 std::string_view args = "[-regtest, -printtoconsole=1]") {
  auto object = kb::base::parse_yaml(std::string("spec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n"
                                                 "        - name: bitcoind\n          image: bitcoin/bitcoin:29.3\n"
                                                 "          args: ") +
                                     std::string(args) + "\n          env: " + std::string(env_yaml) + "\n");
  json::object env_fields;
  const auto owned_env = kb::base::parse_yaml(owned_env_yaml);
  for (const auto& name : owned_env.as_array()) {
    env_fields["k:" + json::serialize(json::object{{"name", name}})] = json::object{{".", json::object{}}};
  }
  json::object fields{
      {"f:spec",
       {{"f:replicas", json::object{}},
        {"f:template",
         {{"f:spec",
           {{"f:containers",
             {{"k:{\"name\":\"bitcoind\"}",
               {{"f:image", json::object{}}, {"f:args", json::object{}}, {"f:env", env_fields}}}}}}}}}}}};
  object.as_object()["metadata"] =
      json::object{{"managedFields",
                    json::array{{{"manager", "kubectl-patch"}, {"operation", "Update"}, {"fieldsV1", json::object{}}},
                                {{"manager", "kubectl-bitcoin"}, {"operation", "Apply"}, {"fieldsV1", fields}}}}};
  return object;
}
}  // namespace

TEST_CASE("the same fields: held") {
  CHECK(
      holds_applied(kDesired, live("[{name: BC_RPC_AUTH, value: x}, {name: HOME, value: /data}]"), "kubectl-bitcoin"));
}

TEST_CASE("an env entry another manager added, and the order the merge left: held (no apply, no fight)") {
  auto object = live("[{name: USER_VAR, value: y}, {name: HOME, value: /data}, {name: BC_RPC_AUTH, value: x}]");
  CHECK(holds_applied(kDesired, object, "kubectl-bitcoin"));
  // What base::is_subset would have said: a difference at every reconcile (measured on the local
  // cluster: 33 StatefulSet applies in 65 s while a user's env variable was there).
}

TEST_CASE("differences that an apply must fix") {
  // Our entry's value changed by someone else.
  CHECK_FALSE(
      holds_applied(kDesired, live("[{name: BC_RPC_AUTH, value: x}, {name: HOME, value: /tmp}]"), "kubectl-bitcoin"));
  // Our entry removed.
  CHECK_FALSE(holds_applied(kDesired, live("[{name: BC_RPC_AUTH, value: x}]"), "kubectl-bitcoin"));
  // An extra entry that we own (set by an earlier version, no longer wanted): the apply removes it.
  CHECK_FALSE(holds_applied(kDesired,
                            live("[{name: BC_RPC_AUTH, value: x}, {name: HOME, value: /data}, {name: OLD, value: z}]",
                                 "[BC_RPC_AUTH, HOME, OLD]"),
                            "kubectl-bitcoin"));
  // args is replaced whole by server-side apply: an extra argument is a difference.
  CHECK_FALSE(holds_applied(kDesired,
                            live("[{name: BC_RPC_AUTH, value: x}, {name: HOME, value: /data}]", "[BC_RPC_AUTH, HOME]",
                                 "[-regtest, -printtoconsole=1, -debug=net]"),
                            "kubectl-bitcoin"));
  // The first difference is named for the log line ("updated object ... field").
  CHECK(applied_difference(kDesired, live("[{name: BC_RPC_AUTH, value: x}, {name: HOME, value: /tmp}]"),
                           "kubectl-bitcoin") == ".spec.template.spec.containers[bitcoind].env[HOME].value");
  CHECK(applied_difference(kDesired,
                           live("[{name: BC_RPC_AUTH, value: x}, {name: HOME, value: /data}]", "[BC_RPC_AUTH, HOME]",
                                "[-regtest, -printtoconsole=1, -debug=net]"),
                           "kubectl-bitcoin") == ".spec.template.spec.containers[bitcoind].args");
  CHECK(applied_difference(kDesired, live("[{name: BC_RPC_AUTH, value: x}, {name: HOME, value: /data}]"),
                           "kubectl-bitcoin")
            .empty());
  // Without managedFields (an object cached without them), an extra named entry is not ours.
  auto bare = live("[{name: BC_RPC_AUTH, value: x}, {name: HOME, value: /data}, {name: OLD, value: z}]");
  bare.as_object().erase("metadata");
  CHECK(holds_applied(kDesired, bare, "kubectl-bitcoin"));
}

TEST_CASE("the informer transform keeps only our Apply entry of managedFields") {
  auto object = live("[{name: BC_RPC_AUTH, value: x}]");
  object.as_object()["metadata"].as_object()["annotations"] =
      json::object{{"kubectl.kubernetes.io/last-applied-configuration", "{}"}, {"team", "blue"}};
  keep_own_applied_fields("kubectl-bitcoin")(object);
  const auto& meta = object.at("metadata").as_object();
  REQUIRE(meta.at("managedFields").as_array().size() == 1);
  CHECK(meta.at("managedFields").at(0).at("manager") == "kubectl-bitcoin");
  CHECK(meta.at("managedFields").at(0).at("fieldsV1").as_object().contains("f:spec"));
  CHECK_FALSE(meta.at("annotations").as_object().contains("kubectl.kubernetes.io/last-applied-configuration"));
  CHECK(meta.at("annotations").at("team") == "blue");

  auto foreign = kb::base::parse_yaml("metadata: {managedFields: [{manager: kubectl, operation: Update}]}\n");
  keep_own_applied_fields("kubectl-bitcoin")(foreign);
  CHECK_FALSE(foreign.at("metadata").as_object().contains("managedFields"));
}
