package io.texttoimage.gateway.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The publisher logs an outage twice: once when it starts, once with its figures when it ends. */
class PublisherOutageTest {

    @Test
    void onlyTheFirstFailureOfAnOutageIsReportedAndTheRecoveryCountsTheRest() {
        ConfirmingPublisher.Outage outage = new ConfirmingPublisher.Outage();
        assertTrue(outage.restored().isEmpty(), "no outage, nothing to report on connecting");
        outage.refused(); // not during an outage: not counted

        assertTrue(outage.lost(), "the connection's loss starts the outage");
        for (int attempt = 0; attempt < 5; attempt++) {
            assertFalse(outage.attemptFailed(), "reconnection attempts during the outage are not reported");
        }
        outage.refused();
        outage.refused();
        assertFalse(outage.lost());

        String figures = outage.restored().orElseThrow();
        assertTrue(figures.contains("5 failed connection attempt(s)"), figures);
        assertTrue(figures.contains("2 publish(es) refused"), figures);
        assertTrue(outage.restored().isEmpty(), "reported once");
    }

    @Test
    void aBrokerThatIsDownAtStartIsAnOutageToo() {
        ConfirmingPublisher.Outage outage = new ConfirmingPublisher.Outage();
        assertTrue(outage.attemptFailed(), "the first failed connection attempt starts the outage");
        assertFalse(outage.attemptFailed());
        assertEquals(true, outage.restored().orElseThrow().contains("2 failed connection attempt(s)"));
    }
}
