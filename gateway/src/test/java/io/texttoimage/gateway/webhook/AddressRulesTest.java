package io.texttoimage.gateway.webhook;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SSRF rule on addresses, without DNS (literals only). */
class AddressRulesTest {
    private static final AddressRules NONE = AddressRules.allowing(List.of());

    @Test
    void internalAddressesAreRefusedWithWhatTheyAre() throws Exception {
        assertRefused("127.0.0.1", "loopback");
        assertRefused("127.255.0.9", "loopback");
        assertRefused("10.1.2.3", "private");
        assertRefused("172.31.255.255", "private");
        assertRefused("192.168.1.1", "private");
        assertRefused("169.254.169.254", "link-local");
        assertRefused("100.64.0.1", "carrier-grade NAT");
        assertRefused("0.0.0.0", "unspecified");
        assertRefused("224.0.0.1", "multicast");
        assertRefused("255.255.255.255", "broadcast");
        assertRefused("::1", "loopback");
        assertRefused("::", "unspecified");
        assertRefused("fd12:3456::1", "unique local");
        assertRefused("fe80::1", "link-local");
        assertRefused("ff02::1", "multicast");
        assertRefused("::ffff:127.0.0.1", "loopback");          // Java reads it as 127.0.0.1 itself
        assertRefused("::ffff:169.254.169.254", "link-local");
        assertRefused("64:ff9b::a00:1", "NAT64 form of 10.0.0.1");
        assertRefused("2002:a9fe:a9fe::1", "6to4 form of 169.254.169.254");
        assertRefused("::10.0.0.1", "IPv4-compatible form of 10.0.0.1");
    }

    @Test
    void publicAddressesPass() throws Exception {
        for (String address : List.of("93.184.215.14", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
                "2002:5db8:d70e::1", "64:ff9b::808:808")) {
            assertEquals(Optional.empty(), NONE.refusal(InetAddress.getByName(address)), address);
        }
    }

    @Test
    void theAllowListLetsNamedBlocksAndHostsThrough() throws Exception {
        AddressRules rules = AddressRules.allowing(List.of("127.0.0.7", "10.20.0.0/16", "[fd00::]/8",
                "Hooks.Internal"));
        assertEquals(Optional.empty(), rules.refusal(InetAddress.getByName("127.0.0.7")));
        assertTrue(rules.refusal(InetAddress.getByName("127.0.0.1")).isPresent(), "only the address listed");
        assertEquals(Optional.empty(), rules.refusal(InetAddress.getByName("10.20.99.1")));
        assertTrue(rules.refusal(InetAddress.getByName("10.21.0.1")).isPresent());
        assertEquals(Optional.empty(), rules.refusal(InetAddress.getByName("fd00::5")));
        assertTrue(rules.allowsName("hooks.internal"));
        assertFalse(rules.allowsName("localhost"));
        assertThrows(IllegalArgumentException.class, () -> AddressRules.allowing(List.of("10.0.0.0/33")));
        assertThrows(IllegalArgumentException.class, () -> AddressRules.allowing(List.of("fd00::zz/8")));
    }

    private static void assertRefused(String address, String kind) throws Exception {
        Optional<String> refusal = NONE.refusal(InetAddress.getByName(address));
        assertTrue(refusal.isPresent() && refusal.get().contains(kind), address + ": " + refusal);
    }
}
