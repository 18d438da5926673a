package io.texttoimage.gateway.webhook;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The SSRF rule: which addresses a webhook may not reach (loopback, private, link-local with the cloud metadata
 * endpoint, carrier-grade NAT, unspecified, multicast, broadcast and reserved ranges, and IPv6 forms that embed such
 * an IPv4 address), and the operator's exceptions ({@code t2i.gateway.webhooks.allowed-hosts}: host names, addresses,
 * CIDR blocks). Pure: resolving names is {@link WebhookTargets}' job.
 */
final class AddressRules {
    private static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    /** Only what Java parses as an IPv4 literal: anything else it would look up in DNS. */
    private static final Pattern IPV4_LITERAL = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");

    /** A CIDR block and what it is, for the refusal's message. */
    record Block(byte[] network, int prefix, String kind) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (address[full] & mask) == (network[full] & mask);
        }

        static Block parse(String cidr, String kind) {
            int slash = cidr.indexOf('/');
            String address = slash < 0 ? cidr : cidr.substring(0, slash);
            byte[] bytes = literal(address).orElseThrow(() -> new IllegalArgumentException(
                    "'" + cidr + "' is not an IP address or CIDR block")).getAddress();
            int prefix;
            try {
                prefix = slash < 0 ? bytes.length * 8 : Integer.parseInt(cidr.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + cidr + "' has no valid prefix length after '/'");
            }
            if (prefix < 0 || prefix > bytes.length * 8) {
                throw new IllegalArgumentException("'" + cidr + "': the prefix length must be 0.." + bytes.length * 8);
            }
            return new Block(bytes, prefix, kind);
        }
    }

    private static final List<Block> FORBIDDEN_V4 = List.of(
            Block.parse("0.0.0.0/8", "an unspecified ('this network') address"),
            Block.parse("10.0.0.0/8", "a private address"),
            Block.parse("100.64.0.0/10", "a carrier-grade NAT (shared) address"),
            Block.parse("127.0.0.0/8", "a loopback address"),
            Block.parse("169.254.0.0/16", "a link-local address (cloud metadata endpoints live there)"),
            Block.parse("172.16.0.0/12", "a private address"),
            Block.parse("192.0.0.0/24", "an IETF protocol address"),
            Block.parse("192.168.0.0/16", "a private address"),
            Block.parse("198.18.0.0/15", "a benchmarking address"),
            Block.parse("224.0.0.0/4", "a multicast address"),
            Block.parse("240.0.0.0/4", "a reserved or broadcast address"));

    private static final List<Block> FORBIDDEN_V6 = List.of(
            Block.parse("::/128", "an unspecified address"),
            Block.parse("::1/128", "a loopback address"),
            Block.parse("fc00::/7", "a unique local (private) address"),
            Block.parse("fe80::/10", "a link-local address"),
            Block.parse("fec0::/10", "a site-local (private) address"),
            Block.parse("ff00::/8", "a multicast address"));

    /**
     * IPv6 forms that carry an IPv4 address, and where: checked as that IPv4 address. (IPv4-mapped addresses,
     * {@code ::ffff:127.0.0.1}, never get here: Java turns them into the IPv4 address itself, from literals and from
     * DNS answers alike.)
     */
    private record Embedding(Block block, int offset, String form) {
    }

    private static final List<Embedding> EMBEDDINGS = List.of(
            new Embedding(Block.parse("::/96", "IPv4-compatible"), 12, "the IPv4-compatible form of"),
            new Embedding(Block.parse("64:ff9b::/96", "NAT64"), 12, "the NAT64 form of"),
            new Embedding(Block.parse("2002::/16", "6to4"), 2, "the 6to4 form of"));

    private final Set<String> allowedNames;
    private final List<Block> allowedBlocks;

    private AddressRules(Set<String> allowedNames, List<Block> allowedBlocks) {
        this.allowedNames = allowedNames;
        this.allowedBlocks = allowedBlocks;
    }

    /**
     * The rules with these exceptions; throws {@link IllegalArgumentException} naming a malformed entry. An entry
     * that is an address or CIDR block allows those addresses, any other entry allows that host name.
     */
    static AddressRules allowing(List<String> allowed) {
        List<Block> blocks = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String entry : allowed) {
            String trimmed = entry.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.contains(":") || trimmed.contains("/") || IPV4_LITERAL.matcher(trimmed).matches()) {
                blocks.add(Block.parse(trimmed.replaceAll("^\\[|\\](?=/|$)", ""), "allowed"));
            } else {
                names.add(trimmed.toLowerCase(Locale.ROOT));
            }
        }
        return new AddressRules(Set.copyOf(names), List.copyOf(blocks));
    }

    /** Whether the operator allowed this host name as such (whatever it resolves to). */
    boolean allowsName(String host) {
        return allowedNames.contains(host.toLowerCase(Locale.ROOT));
    }

    /** Why a webhook may not reach this address ("127.0.0.1, a loopback address"), or empty when it may. */
    Optional<String> refusal(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (allowedBlocks.stream().anyMatch(block -> block.contains(bytes))) {
            return Optional.empty();
        }
        if (address instanceof Inet4Address) {
            return forbiddenV4(bytes).map(kind -> address.getHostAddress() + ", " + kind);
        }
        Optional<String> v6 = FORBIDDEN_V6.stream().filter(block -> block.contains(bytes)).findFirst()
                .map(block -> address.getHostAddress() + ", " + block.kind());
        if (v6.isPresent()) {
            return v6;
        }
        for (Embedding embedding : EMBEDDINGS) {
            if (embedding.block().contains(bytes)) {
                byte[] v4 = Arrays.copyOfRange(bytes, embedding.offset(), embedding.offset() + 4);
                if (allowedBlocks.stream().anyMatch(block -> block.contains(v4))) {
                    return Optional.empty();
                }
                return forbiddenV4(v4).map(kind -> address.getHostAddress() + ", " + embedding.form() + " "
                        + literal(v4).getHostAddress() + ", " + kind);
            }
        }
        return Optional.empty();
    }

    /** The allow-list as configured, for messages. */
    String describeAllowed() {
        List<String> all = new ArrayList<>(allowedNames);
        allowedBlocks.forEach(block -> all.add(literal(block.network()).getHostAddress() + "/" + block.prefix()));
        return all.isEmpty() ? "none" : all.stream().sorted().collect(Collectors.joining(", "));
    }

    private static Optional<String> forbiddenV4(byte[] v4) {
        return FORBIDDEN_V4.stream().filter(block -> block.contains(v4)).findFirst().map(Block::kind);
    }

    /** An IP address written as one, parsed without any DNS lookup; empty for anything else. */
    static Optional<InetAddress> literal(String text) {
        if (!text.contains(":") && !IPV4_LITERAL.matcher(text).matches()) {
            return Optional.empty(); // a name: InetAddress would look it up
        }
        try {
            // in brackets, Java must read an IPv6 literal and fails rather than look a malformed one up
            return Optional.of(InetAddress.getByName(text.contains(":") ? "[" + text + "]" : text));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    private static InetAddress literal(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("not an address length: " + bytes.length, e);
        }
    }
}
