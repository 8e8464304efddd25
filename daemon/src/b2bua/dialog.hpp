#pragma once
// Dialog state of one leg (RFC 3261 12) and in-dialog request construction (12.2.1.1). The dialog
// owns copies of what outlives a message (tags, URIs, route set); it is the unit replicated to the
// backup node.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"
#include "sip/message_builder.hpp"

namespace sipha::b2bua {

enum class DialogState : std::uint8_t { Null, Early, Confirmed, Terminated };

struct Dialog {
  DialogState state = DialogState::Null;
  std::string callId;
  std::string localTag;
  std::string remoteTag;
  std::string localUri;               // name-addr without tag, our side (From of our requests)
  std::string remoteUri;              // name-addr without tag, the peer's side (To of our requests)
  std::string remoteTarget;           // the peer's Contact URI (12.1.1, 12.1.2)
  std::vector<std::string> routeSet;  // name-addr values, in the order our requests carry them
  std::optional<std::uint32_t> localCseq;
  std::optional<std::uint32_t> remoteCseq;
  bool secure = false;
  std::string transport = "UDP";  // Via transport on this leg
  std::string localSdp;           // last body we sent on this leg (opaque)
  std::string remoteSdp;          // last body received on this leg (opaque)

  friend bool operator==(const Dialog&, const Dialog&) = default;
};

enum class DialogError : std::uint8_t {
  None,
  MissingContact,  // 12.1.1 / 12.1.2: a dialog-creating message needs exactly one Contact URI
  BadContact,
  BadRecordRoute,
  MissingTag,  // 12.1.2: a response without To tag creates no dialog
};

// "display <uri>;params" of a From/To value with the tag parameter removed.
std::string nameAddrWithoutTag(const sip::NameAddr& value);
// A party's name-addr as sipd presents it on another leg (the From of a new leg): without the
// URI's transport parameter, which names the way to that party from its own leg (RFC 3261
// 19.1.1) and would send the other party's replies the wrong way.
std::string withoutTransportParam(std::string_view nameAddr);
// The URI of a Contact value ("<sip:a@b>;expires=1" -> "sip:a@b"); nullopt if malformed.
std::optional<std::string> contactUri(const sip::Message& message);

// 12.1.1: the UAS dialog of a dialog-creating request: remote target = Contact, route set =
// Record-Route in order, remote CSeq = the request's, remote tag = From tag, local tag ours,
// secure when it came over TLS with a sips Request-URI. State Early.
DialogError createUasDialog(const sip::Message& request, std::string_view localTag, bool secure,
                            Dialog& out);

// 12.1.2: a 1xx with To tag (Early) or a 2xx (Confirmed) to our dialog-creating request. `dialog`
// holds Call-ID, local tag/URI, remote URI and the request's CSeq already. The route set is the
// reversed Record-Route; a 2xx replaces what an early response set (13.2.2.4).
DialogError applyUacResponse(const sip::Message& response, Dialog& dialog);

// 12.2 target refresh: a re-INVITE/UPDATE (or its 2xx) with a Contact replaces the remote target.
bool refreshRemoteTarget(const sip::Message& message, Dialog& dialog);

// 12.2.2: a request with a CSeq lower than the remote CSeq is out of order (answer 500). Records
// the number otherwise.
bool acceptRemoteCseq(std::uint32_t cseq, Dialog& dialog) noexcept;

struct InDialogRequest {
  sip::Method method = sip::Method::Unknown;
  std::string_view methodText;  // for methods the enum does not know
  std::string_view branch;
  std::string_view viaSentBy;
  std::uint32_t maxForwards = 70;
  std::string_view contact;           // written when not empty
  std::optional<std::uint32_t> cseq;  // ACK/CANCEL: the INVITE's number; otherwise incremented
  std::span<const sip::HeaderLine> headers;
  std::string_view contentType;
  std::string_view body;
};

struct BuiltRequest {
  std::string bytes;
  std::string requestUri;
  std::string nextHop;  // first Route URI (loose routing), else the Request-URI
  std::uint32_t cseq = 0;
  std::string to;                   // the To value as sent
  std::vector<std::string> routes;  // the Route values as sent (a CANCEL repeats them, 9.1)
};

// 12.2.1.1: Request-URI = remote target and Route = route set when the first route is a loose
// router (;lr) or there is none; strict routing otherwise (Request-URI = first route, Route = the
// rest + remote target). CSeq = local CSeq + 1 except for ACK/CANCEL.
BuiltRequest buildInDialogRequest(Dialog& dialog, const InDialogRequest& spec);

}  // namespace sipha::b2bua
