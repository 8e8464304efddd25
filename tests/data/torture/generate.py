#!/usr/bin/env python3
"""Writes the torture corpus (valid/, invalid/, expected.txt) with exact CRLF wire bytes.

Messages are our own, modelled on the RFC 4475 categories. Run it after editing; the unit test
unit.sip_test (corpus suite) checks every file against expected.txt.
"""
import os
root = os.path.dirname(os.path.abspath(__file__))
os.makedirs(root + '/valid', exist_ok=True)
os.makedirs(root + '/invalid', exist_ok=True)

def msg(lines, body=b'', cl=True, end=True):
    """lines: header section lines (str). {CL} replaced by body length."""
    if isinstance(body, str):
        body = body.encode()
    head = '\r\n'.join(lines).replace('{CL}', str(len(body)))
    data = head.encode('latin-1') + (b'\r\n\r\n' if end else b'\r\n') + body
    return data

SDP = ('v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\n'
       'c=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n')

valid = {}
invalid = {}
expected = []

def common(method, ruri, cseq=1, extra=(), via='SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK{b}', branch=None):
    b = branch or ('vx' + method.lower() + str(cseq))
    return [f'{method} {ruri} SIP/2.0',
            'Via: ' + via.replace('{b}', b),
            'Max-Forwards: 70',
            'From: "Alice" <sip:alice@example.com>;tag=a1b2c3',
            'To: <sip:bob@example.com>',
            f'Call-ID: {method.lower()}-{cseq}-7f3a@192.0.2.10',
            f'CSeq: {cseq} {method}'] + list(extra)

valid['v01_register_basic'] = msg([
    'REGISTER sip:example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKreg01;rport',
    'Max-Forwards: 70',
    'From: <sip:2001@example.com>;tag=reg-tag-1',
    'To: <sip:2001@example.com>',
    'Call-ID: reg-0001@192.0.2.20',
    'CSeq: 1 REGISTER',
    'Contact: <sip:2001@192.0.2.20:5060;transport=udp>;expires=3600',
    'Expires: 3600',
    'User-Agent: sipha-torture/1.0',
    'Content-Length: {CL}'])
valid['v02_options_basic'] = msg(common('OPTIONS', 'sip:sipserver.example.com', extra=[
    'Accept: application/sdp', 'Content-Length: {CL}']))
valid['v03_invite_sdp'] = msg(common('INVITE', 'sip:bob@example.com', extra=[
    'Contact: <sip:alice@192.0.2.10:5060>', 'Content-Type: application/sdp',
    'Content-Length: {CL}']), SDP)
valid['v04_compact_forms'] = msg([
    'INVITE sip:bob@example.com SIP/2.0',
    'v: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcompact1',
    'Max-Forwards: 70',
    'f: Alice <sip:alice@example.com>;tag=cpt1',
    't: <sip:bob@example.com>',
    'i: compact-forms-1@192.0.2.10',
    'CSeq: 8 INVITE',
    'm: <sip:alice@192.0.2.10>',
    's: compact subject',
    'k: timer, 100rel',
    'e: identity',
    'c: application/sdp',
    'l: {CL}'], SDP)
valid['v05_folding'] = msg([
    'OPTIONS sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;',
    '  branch=z9hG4bKfold1',
    'Max-Forwards: 70',
    'From: "Alice',
    '\t Liddell" <sip:alice@example.com>',
    '  ;tag=fold-tag',
    'To:',
    ' <sip:bob@example.com>',
    'Call-ID: folded-1@192.0.2.10',
    'CSeq:',
    '\t 5',
    '\t OPTIONS',
    'Subject: a subject',
    '   that continues',
    '\ton three lines',
    'Content-Length: {CL}'])
valid['v06_whitespace_wide'] = msg([
    'OPTIONS sip:bob@example.com SIP/2.0',
    'Via  :   SIP / 2.0 / UDP   192.0.2.10 : 5060  ;  branch = z9hG4bKws1 ; rport',
    'Max-Forwards\t:\t70',
    'From   :\t"Alice" \t <sip:alice@example.com> ; tag = ws-tag',
    'To:<sip:bob@example.com>',
    'Call-ID :   ws-1@192.0.2.10   ',
    'CSeq :  10   OPTIONS',
    'Content-Length  :   {CL}'])
valid['v07_multiple_vias'] = msg([
    'OPTIONS sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP proxy1.example.com:5060;branch=z9hG4bKmv1, SIP/2.0/TCP proxy2.example.com;branch=z9hG4bKmv2',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKmv3;received=192.0.2.99',
    'v: SIP/2.0/TLS [2001:db8::10]:5061;branch=z9hG4bKmv4',
    'Max-Forwards: 68',
    'From: <sip:alice@example.com>;tag=mv',
    'To: <sip:bob@example.com>',
    'Call-ID: multi-via-1',
    'CSeq: 1 OPTIONS',
    'Content-Length: {CL}'])
valid['v08_ipv6_request_uri'] = msg(common('OPTIONS', 'sip:bob@[2001:db8::10]:5070', extra=[
    'Contact: <sip:alice@[2001:db8::20]>', 'Content-Length: {CL}'],
    via='SIP/2.0/UDP [2001:db8::20]:5060;branch=z9hG4bK{b}'))
valid['v09_ipv6_received'] = msg(common('OPTIONS', 'sip:[2001:db8::10]', extra=['Content-Length: {CL}'],
    via='SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bK{b};received=2001:db8::9:255;rport'))
valid['v10_escaped_user'] = msg(common('INVITE', 'sip:sip%3Auser%40example.com@example.net;other-param=summit', extra=[
    'Contact: <sip:%61lice@192.0.2.10>', 'Content-Type: application/sdp', 'Content-Length: {CL}']), SDP)
valid['v11_user_with_semicolon'] = msg(common('OPTIONS', 'sip:user;par=u%40example.net@example.com', extra=['Content-Length: {CL}']))
valid['v12_unknown_method'] = msg(common('NEWMETHOD', 'sip:bob@example.com', extra=[
    'Content-Type: text/plain', 'Content-Length: {CL}']), 'unknown method body\r\n')
valid['v13_unknown_headers'] = msg(common('OPTIONS', 'sip:bob@example.com', extra=[
    'NewFangledHeader:   newfangled value',
    '  continued newfangled value',
    "X-!%*_+`'~: token characters in a header name",
    'X-Empty-Header:',
    'UnknownHeaderWithUnusualValue: ;;,,;;,;',
    'Content-Length: {CL}']))
valid['v14_unknown_scheme_to'] = msg([
    'OPTIONS sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKscheme1',
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=sch',
    'To: <urn:ietf:params:xml:ns:something>',
    'Call-ID: unknown-scheme-1',
    'CSeq: 3 OPTIONS',
    'Contact: <im:alice@example.com>',
    'Content-Length: {CL}'])
valid['v15_tel_uri'] = msg([
    'INVITE tel:+1-201-555-0123;phone-context=example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKtel1',
    'Max-Forwards: 70',
    'From: <tel:+12015550100>;tag=tel1',
    'To: <tel:+1-201-555-0123>',
    'Call-ID: tel-uri-1',
    'CSeq: 1 INVITE',
    'Contact: <sip:alice@192.0.2.10>',
    'Content-Type: application/sdp',
    'Content-Length: {CL}'], SDP)
valid['v16_sips'] = msg(common('OPTIONS', 'sips:bob@secure.example.com', extra=[
    'Contact: <sips:alice@secure.example.com:5061>', 'Content-Length: {CL}'],
    via='SIP/2.0/TLS client.example.com:5061;branch=z9hG4bK{b}'))
valid['v17_long_values'] = msg(common('OPTIONS', 'sip:bob@example.com', extra=[
    'Supported: ' + ', '.join('ext' + str(i) for i in range(60)),
    'X-Long: ' + 'a' * 3000,
    'Subject: ' + 'long subject ' * 50,
    'Content-Length: {CL}']))
valid['v18_display_names'] = msg([
    'OPTIONS sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKdn1',
    'Max-Forwards: 70',
    'From: "Alice \\"the\\" <Boss>, Esq." <sip:alice@example.com>;tag=dn1',
    'To: Bob Smith <sip:bob@example.com>',
    'Call-ID: display-names-1',
    'CSeq: 1 OPTIONS',
    'Contact: "Comma, Inc." <sip:alice@192.0.2.10>, sip:alice@192.0.2.11;q=0.5',
    'Content-Length: {CL}'])
valid['v19_contact_list'] = msg([
    'REGISTER sip:example.com SIP/2.0',
    'Via: SIP/2.0/TCP 192.0.2.20:5060;branch=z9hG4bKcl1',
    'Max-Forwards: 70',
    'From: <sip:2002@example.com>;tag=cl1',
    'To: <sip:2002@example.com>',
    'Call-ID: contact-list-1',
    'CSeq: 2 REGISTER',
    'Contact: <sip:2002@192.0.2.20;transport=tcp>;q=1.0;expires=600, "Desk, phone" <sip:2002@192.0.2.21>;q=0.7',
    'm: <sip:2002@[2001:db8::21]:5062>;q=0.25;expires=0',
    'Content-Length: {CL}'])
valid['v20_route_record_route'] = msg(common('INVITE', 'sip:bob@192.0.2.30', extra=[
    'Route: <sip:proxy1.example.com;lr>, <sip:[2001:db8::1];lr;transport=tcp>',
    'Route: <sip:proxy3.example.com:5080;lr>',
    'Record-Route: <sip:rr1.example.com;lr>,<sip:rr2.example.com;lr>',
    'Contact: <sip:alice@192.0.2.10>',
    'Content-Type: application/sdp',
    'Content-Length: {CL}']), SDP)
valid['v21_case_insensitive'] = msg([
    'OPTIONS SIP:bob@EXAMPLE.com sip/2.0',
    'vIA: sip/2.0/udp 192.0.2.10;BRANCH=z9hG4bKcase1',
    'max-forwards: 70',
    'FROM: <sip:alice@example.com>;TAG=case1',
    'to: <sip:bob@example.com>',
    'CALL-ID: case-insensitive-1',
    'cseq: 1 OPTIONS',
    'CONTENT-LENGTH: {CL}'])
valid['v22_max_forwards_zero'] = msg([
    'OPTIONS sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKmf0',
    'Max-Forwards: 0',
    'From: <sip:alice@example.com>;tag=mf0',
    'To: <sip:bob@example.com>',
    'Call-ID: max-forwards-zero',
    'CSeq: 2147483647 OPTIONS',
    'Content-Length: {CL}'])
valid['v23_uri_params'] = msg(common('OPTIONS', 'sip:bob@example.com:5060;transport=udp;lr;maddr=239.255.255.1;ttl=15;user=phone;x-custom', extra=['Content-Length: {CL}']))
valid['v24_uri_headers'] = msg(common('OPTIONS', 'sip:bob@example.com', extra=[
    'Contact: <sip:alice@192.0.2.10?Subject=hello%20world&Priority=urgent>',
    'Content-Length: {CL}']))
valid['v25_message_body'] = msg(common('MESSAGE', 'sip:bob@example.com', extra=[
    'Content-Type: text/plain;charset=UTF-8', 'Content-Length: {CL}']),
    'Hello \xc3\xa9t\xc3\xa9\r\n\r\nSecond paragraph with a blank line above.\r\n'.encode('latin-1'))
valid['v26_leading_crlf'] = b'\r\n' + msg(common('OPTIONS', 'sip:bob@example.com', extra=['Content-Length: {CL}']))
valid['v27_nul_in_body_and_escape'] = msg(common('MESSAGE', 'sip:null%00user@example.com', extra=[
    'Content-Type: application/octet-stream', 'Content-Length: {CL}']), b'\x00\x01binary\x00\xff\r\n')
valid['v28_subscribe_event'] = msg(common('SUBSCRIBE', 'sip:bob@example.com', extra=[
    'o: presence;id=1', 'u: presence, message-summary', 'Expires: 4294967295',
    'Accept: application/pidf+xml', 'Contact: <sip:alice@192.0.2.10>', 'Content-Length: {CL}']))
valid['v29_ipv6_embedded_ipv4'] = msg(common('OPTIONS', 'sip:bob@[::ffff:192.0.2.44]', extra=['Content-Length: {CL}'],
    via='SIP/2.0/UDP [::ffff:192.0.2.10]:5060;branch=z9hG4bK{b}'))
valid['v30_unknown_scheme_request_uri'] = msg(common('OPTIONS', 'urn:service:sos', extra=['Content-Length: {CL}']))
valid['v31_bye_reason'] = msg(common('BYE', 'sip:bob@192.0.2.30', cseq=231, extra=['Reason: SIP;cause=200;text="Call completed elsewhere"', 'Content-Length: {CL}']))
valid['v32_info_no_body_cl_zero_padded'] = msg(common('INFO', 'sip:bob@example.com', extra=['Content-Length: 000']))

valid['v33_unknown_via_transport'] = msg(common('OPTIONS', 'sip:bob@example.com', extra=['Content-Length: {CL}'],
    via='SIP/2.0/NEWTRANSPORT 192.0.2.10:9999;branch=z9hG4bK{b};new-param=x, SIP/2.0/SCTP 192.0.2.11;branch=z9hG4bKsctp'))
valid['v34_display_name_without_space'] = msg([
    'OPTIONS sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKnsp',
    'Max-Forwards: 70',
    'From: "caller"<sip:alice@example.com>;tag=nsp',
    'To: callee<sip:bob@example.com>',
    'Call-ID: no-space-display',
    'CSeq: 9 OPTIONS',
    'Content-Length: {CL}'])

def bad(name, data, outcome, code, transports, reason):
    invalid[name] = data
    expected.append(f'{name}.sip {outcome} {code} {transports} {reason}'.rstrip())

def replace_line(lines, prefix, new):
    out = []
    for l in lines:
        if l.startswith(prefix):
            if new is not None:
                out.append(new)
        else:
            out.append(l)
    return out

base = lambda m='OPTIONS', **kw: common(m, 'sip:bob@example.com', **kw)
bad('i01_missing_call_id', msg(replace_line(base(extra=['Content-Length: {CL}']), 'Call-ID', None)), 'drop', '-', 'any', 'Missing Call-ID')
bad('i02_malformed_cseq', msg(replace_line(base(extra=['Content-Length: {CL}']), 'CSeq', 'CSeq: abc OPTIONS')), 'drop', '-', 'any', 'Malformed CSeq')
bad('i03_cseq_method_mismatch', msg(replace_line(base(extra=['Content-Length: {CL}']), 'CSeq', 'CSeq: 1 INVITE')), 'respond', '400', 'any', 'CSeq Method Mismatch')
bad('i04_content_length_too_big', msg(common('INVITE', 'sip:bob@example.com', extra=['Content-Type: application/sdp', 'Content-Length: 9999']), SDP), 'respond', '400', 'udp', 'Content-Length Mismatch')
bad('i05_negative_content_length', msg(common('INVITE', 'sip:bob@example.com', extra=['Content-Type: application/sdp', 'Content-Length: -50']), SDP), 'respond', '400', 'udp', 'Malformed Content-Length')
bad('i06_huge_content_length', msg(common('INVITE', 'sip:bob@example.com', extra=['Content-Type: application/sdp', 'Content-Length: 99999999999999999999999999']), SDP), 'respond', '400', 'udp', 'Malformed Content-Length')
bad('i07_conflicting_content_length', msg(common('INVITE', 'sip:bob@example.com', extra=['Content-Type: application/sdp', 'Content-Length: {CL}', 'l: 3']), SDP), 'respond', '400', 'udp', 'Malformed Content-Length')
bad('i08_max_forwards_overflow', msg(replace_line(base(extra=['Content-Length: {CL}']), 'Max-Forwards', 'Max-Forwards: 300')), 'respond', '400', 'any', 'Malformed Max-Forwards')
bad('i09_cseq_overflow', msg(replace_line(base(extra=['Content-Length: {CL}']), 'CSeq', 'CSeq: 36893488147419103232 OPTIONS')), 'drop', '-', 'any', 'Malformed CSeq')
bad('i10_unterminated_quote_from', msg(replace_line(base(extra=['Content-Length: {CL}']), 'From', 'From: "Alice <sip:alice@example.com>;tag=uq1')), 'drop', '-', 'any', 'Malformed From')
bad('i11_unterminated_bracket_to', msg(replace_line(base(extra=['Content-Length: {CL}']), 'To:', 'To: <sip:bob@example.com')), 'drop', '-', 'any', 'Malformed To')
bad('i12_bad_escape_request_uri', msg(common('OPTIONS', 'sip:user%G1@example.com', extra=['Content-Length: {CL}'])), 'respond', '400', 'any', 'Malformed Request-URI')
bad('i13_request_uri_with_space', msg(common('OPTIONS', 'sip:bob@example.com ;lr', extra=['Content-Length: {CL}'])), 'respond', '400', 'any', 'Malformed Request-URI')
bad('i14_bad_version', msg([l.replace('SIP/2.0', 'SIP/7.0', 1) if i == 0 else l for i, l in enumerate(base(extra=['Content-Length: {CL}']))]), 'respond', '505', 'any', 'Version Not Supported')
bad('i15_missing_via', msg(replace_line(base(extra=['Content-Length: {CL}']), 'Via', None)), 'drop', '-', 'any', 'Missing Via')
bad('i16_missing_from', msg(replace_line(base(extra=['Content-Length: {CL}']), 'From', None)), 'drop', '-', 'any', 'Missing From')
bad('i17_missing_to', msg(replace_line(base(extra=['Content-Length: {CL}']), 'To:', None)), 'drop', '-', 'any', 'Missing To')
bad('i18_missing_cseq', msg(replace_line(base(extra=['Content-Length: {CL}']), 'CSeq', None)), 'drop', '-', 'any', 'Missing CSeq')
bad('i19_multiple_call_id', msg(base(extra=['Call-ID: second-call-id@192.0.2.10', 'Content-Length: {CL}'])), 'respond', '400', 'any', 'Multiple Call-ID')
bad('i20_multiple_from', msg(base(extra=['From: <sip:mallory@example.com>;tag=m2', 'Content-Length: {CL}'])), 'respond', '400', 'any', 'Multiple From')
bad('i21_malformed_via', msg(replace_line(base(extra=['Content-Length: {CL}']), 'Via', 'Via: SIP/2.0/UDP ;branch=z9hG4bKbad')), 'drop', '-', 'any', 'Malformed Via')
bad('i22_too_many_headers', msg(base(extra=[f'X-Filler-{i}: {i}' for i in range(200)] + ['Content-Length: {CL}'])), 'respond', '400', 'any', 'Too Many Headers')
bad('i23_nul_in_method', msg([('OPT\x00IONS' + l[7:]) if i == 0 else l for i, l in enumerate(base(extra=['Content-Length: {CL}']))]), 'drop', '-', 'any', 'Malformed Start Line')
bad('i24_garbage_start_line', msg(['HELLOWORLD'] + base(extra=['Content-Length: {CL}'])[1:]), 'drop', '-', 'any', 'Malformed Start Line')
bad('i25_response_missing_call_id', msg(['SIP/2.0 200 OK'] + replace_line(base(extra=['Content-Length: {CL}']), 'Call-ID', None)[1:]), 'drop', '-', 'any', 'Missing Call-ID')
bad('i26_header_without_colon', msg(base(extra=['ThisLineHasNoColon', 'Content-Length: {CL}'])), 'respond', '400', 'any', 'Malformed Header')
bad('i27_ipv6_without_brackets', msg(common('OPTIONS', 'sip:bob@2001:db8::10:5060', extra=['Content-Length: {CL}'])), 'respond', '400', 'any', 'Malformed Request-URI')
bad('i28_ipv6_unterminated_reference', msg(common('OPTIONS', 'sip:bob@[2001:db8::10', extra=['Content-Length: {CL}'])), 'respond', '400', 'any', 'Malformed Request-URI')
bad('i29_port_overflow', msg(common('OPTIONS', 'sip:bob@example.com:99999', extra=['Content-Length: {CL}'])), 'respond', '400', 'any', 'Malformed Request-URI')
bad('i30_missing_header_end', msg(base(extra=['Content-Length: 0']), end=False), 'respond', '400', 'udp', 'Missing End of Headers')
bad('i31_space_in_header_name', msg(base(extra=['Bad Header: value', 'Content-Length: {CL}'])), 'respond', '400', 'any', 'Malformed Header')
bad('i32_max_forwards_negative', msg(replace_line(base(extra=['Content-Length: {CL}']), 'Max-Forwards', 'Max-Forwards: -1')), 'respond', '400', 'any', 'Malformed Max-Forwards')
bad('i33_from_empty_user', msg(replace_line(base(extra=['Content-Length: {CL}']), 'From', 'From: <sip:@example.com>;tag=eu')), 'drop', '-', 'any', 'Malformed From')
bad('i34_content_length_plus_sign', msg(base(extra=['Content-Length: +0'])), 'respond', '400', 'udp', 'Malformed Content-Length')
bad('i35_tab_separated_request_line', msg([base(extra=[])[0].replace(' ', '\t')] + base(extra=['Content-Length: {CL}'])[1:]), 'drop', '-', 'any', 'Malformed Start Line')
bad('i36_bad_ipv6_via_reference', msg(replace_line(base(extra=['Content-Length: {CL}']), 'Via', 'Via: SIP/2.0/UDP [2001:db8:::10]:5060;branch=z9hG4bKb6')), 'drop', '-', 'any', 'Malformed Via')
bad('i37_leading_whitespace_header', msg(base(extra=[])[:1] + [' Subject: leading space'] + base(extra=['Content-Length: {CL}'])[1:]), 'respond', '400', 'any', 'Malformed Header')
bad('i38_to_with_junk_after_uri', msg(replace_line(base(extra=['Content-Length: {CL}']), 'To:', 'To: <sip:bob@example.com> junk')), 'drop', '-', 'any', 'Malformed To')

bad('i39_request_uri_in_angle_brackets', msg(common('OPTIONS', '<sip:bob@example.com>', extra=['Content-Length: {CL}'])), 'respond', '400', 'any', 'Malformed Request-URI')
bad('i40_addr_spec_with_space', msg(replace_line(base(extra=['Content-Length: {CL}']), 'To:', 'To: sip:bob @example.com')), 'drop', '-', 'any', 'Malformed To')
bad('i41_non_token_display_name', msg(replace_line(base(extra=['Content-Length: {CL}']), 'From', 'From: Alice@Home <sip:alice@example.com>;tag=nt')), 'drop', '-', 'any', 'Malformed From')

for d, data in (('valid', valid), ('invalid', invalid)):
    for name, content in data.items():
        with open(f'{root}/{d}/{name}.sip', 'wb') as f:
            f.write(content)

with open(root + '/expected.txt', 'w') as f:
    f.write('''# Expected outcome for every file under invalid/ (files under valid/ must parse).
# Columns: file outcome status transports reason-substring
#   outcome     respond: sipd answers statelessly with `status` and a reason phrase containing
#               reason-substring; drop: nothing is sent back (the fields a response needs are
#               missing or broken, or the message is a response). The reason column then names the
#               parser error (ParseError reason phrase) for unit tests.
#   transports  any: same outcome over UDP and TCP. udp: the file depends on datagram framing
#               (RFC 3261 18.3); on a stream the framer cannot delimit it (it waits for more bytes or
#               closes the connection), so replay it over UDP only.
''')
    for line in expected:
        f.write(line + '\n')
print(len(valid), len(invalid))
