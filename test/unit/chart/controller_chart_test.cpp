// The repository's chart, rendered with pkg/chart: what it grants the controller (RBAC), who may
// reach the controller's pods (NetworkPolicy) and the image allow-list (flags and the
// ValidatingAdmissionPolicy). test/system/chart_compat_test.py compares the same renders with Helm.
#include "pkg/chart/renderer.hpp"
#include "pkg/chart/set_parser.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <filesystem>

using namespace kb::chart;
namespace json = boost::json;

namespace {
std::vector<RenderedManifest> render(std::initializer_list<std::pair<std::string_view, SetKind>> sets = {}) {
  auto chart = load_chart_directory(std::filesystem::path(KB_SOURCE_DIR) / "chart" / "bitcoin-controller");
  json::object user;
  for (const auto& [expression, kind] : sets) apply_set(expression, kind, user);
  Capabilities capabilities;
  capabilities.kube_version = "v1.32.0";
  ReleaseOptions release;
  release.name = "bitcoin-controller";
  release.namespace_name = "bitcoin-controller";
  return render_chart(chart, user, release, capabilities).manifests;
}

std::vector<const json::value*> of_kind(const std::vector<RenderedManifest>& manifests, std::string_view kind) {
  std::vector<const json::value*> out;
  for (const auto& m : manifests) {
    if (m.kind == kind) out.push_back(&m.object);
  }
  return out;
}

std::vector<std::string> controller_args(const std::vector<RenderedManifest>& manifests) {
  std::vector<std::string> args;
  for (const auto& a :
       of_kind(manifests, "Deployment").at(0)->at_pointer("/spec/template/spec/containers/0/args").as_array()) {
    args.emplace_back(a.as_string());
  }
  return args;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}
}  // namespace

TEST_CASE("the ClusterRole grants no update, delete only on NetworkPolicies, and no list or watch on Secrets") {
  auto manifests = render();
  auto roles = of_kind(manifests, "ClusterRole");
  REQUIRE(roles.size() == 1);
  bool deletes_policies = false;
  for (const auto& rule : roles[0]->at("rules").as_array()) {
    std::vector<std::string> verbs;
    for (const auto& v : rule.at("verbs").as_array()) verbs.emplace_back(v.as_string());
    CAPTURE(json::serialize(rule));
    // A partition's per-group NetworkPolicies are deleted on heal (docs/partition.md); nothing else.
    if (contains(verbs, "delete")) {
      CHECK(rule.at("resources") == json::array{"networkpolicies"});
      CHECK(rule.at("apiGroups") == json::array{"networking.k8s.io"});
      deletes_policies = true;
    }
    CHECK_FALSE(contains(verbs, "update"));
    CHECK_FALSE(contains(verbs, "*"));
    for (const auto& resource : rule.at("resources").as_array()) {
      if (resource == "secrets") {
        CHECK_FALSE(contains(verbs, "list"));
        CHECK_FALSE(contains(verbs, "watch"));
      }
    }
  }
  CHECK(deletes_policies);
  // The credential key: read by name in the release namespace.
  bool key_rule = false;
  for (const auto* role : of_kind(manifests, "Role")) {
    for (const auto& rule : role->at("rules").as_array()) {
      if (const auto* names = rule.as_object().if_contains("resourceNames")) {
        if (names->as_array().at(0) == "bitcoin-controller-credential-key") key_rule = true;
      }
    }
  }
  CHECK(key_rule);
  CHECK(contains(controller_args(manifests), "--credential-key-secret=bitcoin-controller-credential-key"));
}

TEST_CASE("the controller's NetworkPolicy is on by default: gateway from anywhere, metrics from nobody") {
  auto defaults = render();
  auto policies = of_kind(defaults, "NetworkPolicy");
  REQUIRE(policies.size() == 1);
  const auto& ingress = policies[0]->at_pointer("/spec/ingress").as_array();
  REQUIRE(ingress.size() == 1);
  CHECK(ingress[0].at_pointer("/ports/0/port") == 8334);
  CHECK_FALSE(ingress[0].as_object().contains("from"));

  // of_kind points into the rendered manifests: keep them alive.
  auto narrowed_render =
      render({{"networkPolicy.gateway.from[0].ipBlock.cidr=10.0.0.0/24", SetKind::Typed},
              {"networkPolicy.metrics.from[0].namespaceSelector.matchLabels.team=mon", SetKind::Typed}});
  auto narrowed = of_kind(narrowed_render, "NetworkPolicy");
  const auto& rules = narrowed.at(0)->at_pointer("/spec/ingress").as_array();
  REQUIRE(rules.size() == 2);
  CHECK(rules[0].at_pointer("/from/0/ipBlock/cidr") == "10.0.0.0/24");
  CHECK(rules[1].at_pointer("/ports/0/port") == 8080);
  CHECK(rules[1].at_pointer("/from/0/namespaceSelector/matchLabels/team") == "mon");

  auto scraped_render = render({{"metrics.serviceMonitor.enabled=true", SetKind::Typed}});
  auto scraped = of_kind(scraped_render, "NetworkPolicy");
  CHECK(scraped.at(0)->at_pointer("/spec/ingress/1/from/0/namespaceSelector") == json::object{});
  CHECK(of_kind(render({{"networkPolicy.enabled=false", SetKind::Typed}}), "NetworkPolicy").empty());
}

TEST_CASE("allowed images: flags for the controller and a ValidatingAdmissionPolicy, only when listed") {
  auto plain = render();
  CHECK(of_kind(plain, "ValidatingAdmissionPolicy").empty());
  CHECK(of_kind(plain, "ValidatingAdmissionPolicyBinding").empty());

  auto listed = render({{R"(networks.allowedImages=["bitcoin/bitcoin","docker.io/bitcoin/bitcoin"])", SetKind::Json}});
  auto args = controller_args(listed);
  CHECK(contains(args, "--allowed-image=bitcoin/bitcoin"));
  CHECK(contains(args, "--allowed-image=docker.io/bitcoin/bitcoin"));
  auto policies = of_kind(listed, "ValidatingAdmissionPolicy");
  auto bindings = of_kind(listed, "ValidatingAdmissionPolicyBinding");
  REQUIRE(policies.size() == 1);
  REQUIRE(bindings.size() == 1);
  const auto& policy = *policies[0];
  CHECK(policy.at("apiVersion") == "admissionregistration.k8s.io/v1");
  CHECK(policy.at_pointer("/spec/failurePolicy") == "Fail");
  CHECK(policy.at_pointer("/spec/variables/0/expression") == R"(["bitcoin/bitcoin","docker.io/bitcoin/bitcoin"])");
  CHECK(policy.at_pointer("/spec/validations/0/message") ==
        "spec.image must come from one of these repositories: bitcoin/bitcoin, docker.io/bitcoin/bitcoin");
  CHECK(bindings[0]->at_pointer("/spec/policyName") == policy.at_pointer("/metadata/name"));
  CHECK(bindings[0]->at_pointer("/spec/validationActions/0") == "Deny");
}
