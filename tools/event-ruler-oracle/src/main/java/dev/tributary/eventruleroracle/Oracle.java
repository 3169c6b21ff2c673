package dev.tributary.eventruleroracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import software.amazon.event.ruler.JsonRuleCompiler;
import software.amazon.event.ruler.Machine;
import software.amazon.event.ruler.MachineComplexityEvaluator;
import software.amazon.event.ruler.MatchType;
import software.amazon.event.ruler.Patterns;

/**
 * Answers, for each line {"pattern": P, "event": E} on stdin, one line on
 * stdout: {"valid": bool, "matches": bool, "complexity": int, "error": string or null}.
 *
 * <p>P and E are JSON text in a string (so a test can send text that a JSON
 * tree cannot hold, such as a duplicate key), or JSON values. "valid" is
 * event-ruler's {@code JsonRuleCompiler.check}, and a rule a {@code Machine}
 * refuses to add is invalid too. "matches" is whether a machine holding only
 * P matches E. "complexity" is measured as event-ruler's README validates a
 * pattern: a machine holding every sub-rule of P that has a wildcard
 * (or anything-but wildcard), evaluated by {@code MachineComplexityEvaluator}
 * capped at {@link #COMPLEXITY_CAP}. event-ruler has no complexity limit: the
 * caller decides, as EventBridge does.
 *
 * <p>A line that is not JSON, or an event that is not JSON, answers
 * {"error": ..., "valid": false, "matches": false, "fault": "input"}.
 */
public final class Oracle {
    /** Complexity is measured up to this value (the evaluator's own cap). */
    static final int COMPLEXITY_CAP = 100;

    private static final ObjectMapper JSON = new ObjectMapper();

    private Oracle() {
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        String lastPattern = null;
        Answer lastAnswer = null;
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            ObjectNode reply = JSON.createObjectNode();
            try {
                JsonNode request = JSON.readTree(line);
                String pattern = text(request.get("pattern"));
                String event = text(request.get("event"));
                if (!pattern.equals(lastPattern)) {
                    lastAnswer = compile(pattern);
                    lastPattern = pattern;
                }
                reply.put("valid", lastAnswer.machine != null);
                reply.put("matches", lastAnswer.machine != null && event != null
                        && !lastAnswer.machine.rulesForJSONEvent(event).isEmpty());
                reply.put("complexity", lastAnswer.complexity);
                if (lastAnswer.error == null) {
                    reply.putNull("error");
                } else {
                    reply.put("error", lastAnswer.error);
                }
            } catch (Exception e) {
                reply.removeAll();
                reply.put("valid", false);
                reply.put("matches", false);
                reply.put("error", String.valueOf(e));
                reply.put("fault", "input");
            }
            out.println(JSON.writeValueAsString(reply));
            out.flush();
        }
    }

    /** A pattern as event-ruler takes it: a machine, or why not. */
    private static final class Answer {
        Machine machine;
        int complexity;
        String error;
    }

    private static Answer compile(String pattern) {
        Answer answer = new Answer();
        answer.error = JsonRuleCompiler.check(pattern);
        if (answer.error != null) {
            return answer;
        }
        try {
            Machine machine = new Machine();
            machine.addRule("rule", pattern);
            answer.complexity = complexity(pattern);
            answer.machine = machine;
        } catch (Exception e) {
            answer.error = String.valueOf(e.getMessage());
        }
        return answer;
    }

    /** The README's validation: the wildcard sub-rules in one machine, evaluated. */
    private static int complexity(String pattern) throws Exception {
        Machine machine = new Machine();
        int i = 0;
        for (Map<String, List<Patterns>> rule : JsonRuleCompiler.compile(pattern)) {
            boolean wildcard = rule.values().stream().flatMap(List::stream)
                    .anyMatch(p -> p.type() == MatchType.WILDCARD || p.type() == MatchType.ANYTHING_BUT_WILDCARD);
            if (wildcard) {
                machine.addPatternRule(Integer.toString(++i), rule);
            }
        }
        return machine.evaluateComplexity(new MachineComplexityEvaluator(COMPLEXITY_CAP));
    }

    private static String text(JsonNode node) throws Exception {
        if (node == null || node.isNull()) {
            return null;
        }
        return node.isTextual() ? node.textValue() : JSON.writeValueAsString(node);
    }
}
