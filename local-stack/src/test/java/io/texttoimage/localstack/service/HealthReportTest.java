package io.texttoimage.localstack.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which readiness answers end the launcher's wait (the real generator's answer is covered by LauncherE2eTest). */
class HealthReportTest {

    @Test
    void modelFailedIsFinalAndCarriesTheSentenceAndTheReason() {
        String body = """
                {"status":"DOWN","checks":[{"name":"rabbitmq","status":"UP"},
                 {"name":"model failed","status":"DOWN","data":{"error":"HubException: Cannot reach the Hub.",
                  "message":"Cannot reach the Hub.","reason":"NETWORK"}}]}""";
        HealthReport.FinalFailure failure = HealthReport.finalFailure(body).orElseThrow();
        assertEquals("Cannot reach the Hub.", failure.message());
        assertEquals("NETWORK", failure.reason());
    }

    @Test
    void anOlderGeneratorsErrorLosesItsExceptionClass() {
        String body = """
                {"status":"DOWN","checks":[{"name":"model failed","status":"DOWN",
                 "data":{"error":"ModelFolderException: /m has no model_index.json."}}]}""";
        assertEquals("/m has no model_index.json.", HealthReport.finalFailure(body).orElseThrow().message());
    }

    @Test
    void loadingAndUnreadableAnswersAreNotFinal() {
        assertTrue(HealthReport.finalFailure("""
                {"status":"DOWN","checks":[{"name":"model loading","status":"DOWN"},{"name":"jobs","status":"DOWN"}]}""")
                .isEmpty());
        assertTrue(HealthReport.finalFailure("<html>starting</html>").isEmpty());
        assertTrue(HealthReport.finalFailure("").isEmpty());
    }
}
