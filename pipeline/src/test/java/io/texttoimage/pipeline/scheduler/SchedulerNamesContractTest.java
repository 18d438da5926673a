package io.texttoimage.pipeline.scheduler;

import io.texttoimage.contracts.SchedulerNames;
import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The pipeline and the contracts agree on scheduler names: every name the gateway lets through creates a scheduler
 * here, under the same canonical name, with the same case and separator rules; anything else is rejected with the
 * contracts' message. (The gateway's side is {@code SchedulerNameTest} in the gateway module.)
 */
class SchedulerNamesContractTest {

    @Test
    void everyContractsNameCreatesTheSchedulerOfThatName() {
        assertEquals(SchedulerNames.NAMES, Schedulers.NAMES);
        for (String name : SchedulerNames.NAMES) {
            for (String spelling : new String[] {name, name.toUpperCase(Locale.ROOT), name.replace('-', '_'),
                name.replace('-', ' ')}) {
                Scheduler scheduler = Schedulers.create(spelling, SchedulerGoldenTest.modelConfig());
                assertEquals(name, scheduler.name(), spelling);
                assertEquals(name, Schedulers.canonicalName(spelling), spelling);
            }
        }
    }

    @Test
    void everyAutomatic1111AliasCreatesItsScheduler() {
        SchedulerNames.a1111Aliases().forEach((display, name) ->
                assertEquals(name, Schedulers.create(display, SchedulerGoldenTest.modelConfig()).name(), display));
    }

    @Test
    void unknownNamesFailWithTheContractsMessage() {
        for (String name : new String[] {"k_euler", "DPM++ 2S a", "euler ancestral"}) {
            IllegalArgumentException pipeline = assertThrows(IllegalArgumentException.class,
                    () -> Schedulers.create(name, SchedulerGoldenTest.modelConfig()));
            IllegalArgumentException contracts = assertThrows(IllegalArgumentException.class,
                    () -> SchedulerNames.requireCanonical(name));
            assertEquals(contracts.getMessage(), pipeline.getMessage());
        }
    }
}
