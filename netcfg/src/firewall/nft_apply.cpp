// Applying an nft script through libnftables: one nft_run_cmd_from_buffer call is one netlink
// batch, so the kernel takes the whole script or none of it.
#include <nftables/libnftables.h>

#include <memory>

#include "firewall/ruleset.hpp"

namespace sipha::netcfg {
namespace {

struct ContextDeleter {
  void operator()(nft_ctx* context) const { nft_ctx_free(context); }
};

ApplyResult run(const std::string& script, bool dryRun) {
  std::unique_ptr<nft_ctx, ContextDeleter> context{nft_ctx_new(NFT_CTX_DEFAULT)};
  if (!context) return {false, "nft_ctx_new failed"};
  nft_ctx_buffer_output(context.get());
  nft_ctx_buffer_error(context.get());
  nft_ctx_set_dry_run(context.get(), dryRun);
  const int rc = nft_run_cmd_from_buffer(context.get(), script.c_str());
  if (rc == 0) return {true, {}};
  const char* error = nft_ctx_get_error_buffer(context.get());
  std::string text = error != nullptr && *error != '\0' ? error : "nft failed without a message";
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return {false, text};
}

}  // namespace

ApplyResult applyRuleset(const std::string& script) { return run(script, false); }

ApplyResult checkRuleset(const std::string& script) { return run(script, true); }

ApplyResult removeRuleset() {
  // "add" makes the delete valid when the table is absent; both in one batch.
  return run("add table inet sipha\ndelete table inet sipha\n", false);
}

}  // namespace sipha::netcfg
