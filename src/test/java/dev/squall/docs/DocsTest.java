package dev.squall.docs;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The repository documents itself: the math (docs/SPEC.md), the design and the measured results
 * travel with the code, so a fresh clone can follow every pointer in it. Checked over the project's
 * own text outside build and run output: every Markdown file, the Java sources of the core, the
 * TornadoVM backend and the benchmarks, and the Maven builds, scripts and the PyTorch reference.
 */
class DocsTest {

    /** Directories that hold build output or run output, never sources. */
    private static final Set<String> SKIPPED_DIRECTORIES = Set.of(".git", "target", "runs", "node_modules");

    /** "§6", "§6.2", and the end of a range written "§1.1-1.2" or "§6.1-§6.5". */
    private static final Pattern SECTION_CITATION = Pattern.compile("§(\\d+(?:\\.\\d+)?)(?:-§?(\\d+(?:\\.\\d+)?))?");
    /** A numbered SPEC heading: "## 6. HyperP..." or "### 6.2 MuonH update...". */
    private static final Pattern SPEC_HEADING = Pattern.compile("^#{2,3} (\\d+(?:\\.\\d+)?)\\.? ", Pattern.MULTILINE);
    /** An inline Markdown link or image, [text](target) or ![alt](target "title"). */
    private static final Pattern MARKDOWN_LINK = Pattern.compile("\\[[^\\]\\n]*\\]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
    /** A relative path that starts by climbing one or more ".." folders; not an ellipsis "...". */
    private static final Pattern CLIMBING_PATH = Pattern.compile("(?<![.\\w/])((?:\\.\\./)+[\\w.-]*)");
    /** Where the spec and the design notes lived before they moved into docs/. */
    private static final Pattern OUTSIDE_DOCUMENT = Pattern.compile("\\bshared/(?:SPEC|DESIGN|TORNADO)\\.md");
    /** A project document named by its upper-case file name: SPEC.md, DESIGN.md, RESULTS.md... */
    private static final Pattern DOCUMENT_NAME = Pattern.compile("(?<![\\w./-])([\\w./-]*?\\b[A-Z][A-Z0-9_]*\\.md)\\b");

    private static Path root;
    private static List<Path> markdown;
    private static List<Path> javaSources;
    /** Maven builds, shell scripts (the launcher included) and Python: where a stray path can hide too. */
    private static List<Path> otherSources;

    @BeforeAll
    static void findTheProjectsText() throws IOException {
        root = projectRoot();
        markdown = files(root, p -> p.toString().endsWith(".md"));
        javaSources = new ArrayList<>();
        for (String tree : List.of("src", "tornado-tasks/src", "bench/src")) {
            Path dir = root.resolve(tree);
            if (Files.isDirectory(dir)) javaSources.addAll(files(dir, p -> p.toString().endsWith(".java")));
        }
        otherSources = files(root, p -> {
            String name = p.getFileName().toString();
            return name.equals("pom.xml") || name.equals("squall") || name.endsWith(".sh") || name.endsWith(".py");
        });
        assertTrue(markdown.contains(root.resolve("README.md")), "README.md not found under " + root);
        assertTrue(javaSources.size() > 100, "only " + javaSources.size() + " Java sources found under " + root);
    }

    @Test
    void everySpecSectionTheSourcesCiteExists() throws IOException {
        Path spec = root.resolve("docs/SPEC.md");
        assertTrue(Files.isRegularFile(spec), "docs/SPEC.md is missing: the code cites it as \"SPEC §x.y\"");
        Set<String> sections = new TreeSet<>();
        Matcher heading = SPEC_HEADING.matcher(read(spec));
        while (heading.find()) sections.add(heading.group(1));

        // In this repository "§" always means a section of SPEC.md: the sources, the README, the
        // model page, the results and SPEC.md's own cross-references all cite it that way.
        List<String> missing = new ArrayList<>();
        List<Path> citing = new ArrayList<>(javaSources);
        citing.addAll(markdown);
        citing.addAll(otherSources);
        int citations = 0;
        for (Path file : citing) {
            String[] lines = read(file).split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                Matcher m = SECTION_CITATION.matcher(lines[i]);
                while (m.find()) {
                    for (int g = 1; g <= 2; g++) {
                        String section = m.group(g);
                        if (section == null) continue;
                        citations++;
                        if (!sections.contains(section)) {
                            missing.add(where(file, i) + ": §" + section + " in \"" + lines[i].strip() + "\"");
                        }
                    }
                }
            }
        }
        assertTrue(citations > 200, "found only " + citations + " SPEC citations; is the pattern still right?");
        if (!missing.isEmpty()) {
            fail(missing.size() + " cited SPEC section(s) have no heading in docs/SPEC.md (its sections: "
                    + sections + "):" + listed(missing));
        }
    }

    @Test
    void markdownLinksStayInsideTheRepositoryAndResolve() throws IOException {
        List<String> problems = new ArrayList<>();
        Map<Path, Set<String>> anchorsByFile = new HashMap<>();
        for (Path file : markdown) {
            String[] lines = read(file).split("\n", -1);
            boolean inCode = false;
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].startsWith("```")) inCode = !inCode;
                if (inCode) continue;
                Matcher m = MARKDOWN_LINK.matcher(lines[i]);
                while (m.find()) {
                    String problem = checkLink(file, m.group(1), anchorsByFile);
                    if (problem != null) problems.add(where(file, i) + ": (" + m.group(1) + ") " + problem);
                }
            }
        }
        if (!problems.isEmpty()) fail(problems.size() + " broken link(s):" + listed(problems));
    }

    @Test
    void noRelativePathClimbsOutOfTheRepository() throws IOException {
        List<String> problems = new ArrayList<>();
        List<Path> text = projectText();
        for (Path file : text) {
            String[] lines = read(file).split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (OUTSIDE_DOCUMENT.matcher(lines[i]).find()) {
                    problems.add(where(file, i) + ": names the spec or design notes outside the repository;"
                            + " they are docs/SPEC.md and docs/DESIGN.md");
                }
                // A Markdown path is read from its file's folder; any other from the folder the
                // program or script runs in, the project root.
                Path base = file.toString().endsWith(".md") ? file.getParent() : root;
                Matcher m = CLIMBING_PATH.matcher(lines[i]);
                while (m.find()) {
                    Path target = base.resolve(m.group(1)).normalize();
                    if (!target.startsWith(root)) {
                        problems.add(where(file, i) + ": " + m.group(1) + " leaves the repository (" + target + ")");
                    }
                }
            }
        }
        if (!problems.isEmpty()) fail(problems.size() + " path(s) outside the repository:" + listed(problems));
    }

    /** A document named in the text (SPEC.md, DESIGN.md, MODEL.md, RESULTS.md...) must be one the repository holds. */
    @Test
    void everyNamedDocumentIsInTheRepository() throws IOException {
        Set<String> documents = new TreeSet<>();
        for (Path p : markdown) documents.add(p.getFileName().toString());
        Set<String> problems = new LinkedHashSet<>();
        List<Path> text = projectText();
        for (Path file : text) {
            String[] lines = read(file).split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                Matcher m = DOCUMENT_NAME.matcher(lines[i]);
                while (m.find()) {
                    String named = m.group(1);
                    String fileName = named.substring(named.lastIndexOf('/') + 1);
                    if (!documents.contains(fileName)) {
                        problems.add(where(file, i) + ": " + named + " is not a document of this repository"
                                + " (it has " + documents + ")");
                    }
                }
            }
        }
        if (!problems.isEmpty()) fail(problems.size() + " unknown document(s):" + listed(problems));
    }

    private static List<Path> projectText() {
        List<Path> text = new ArrayList<>(markdown);
        text.addAll(javaSources);
        text.addAll(otherSources);
        return text;
    }

    /** Null when the link is fine, else why not. */
    private static String checkLink(Path from, String target, Map<Path, Set<String>> anchorsByFile) {
        if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) return null;   // http:, https:, mailto:
        if (target.startsWith("/")) return "is an absolute path; link relative to this file instead";
        int hash = target.indexOf('#');
        String pathPart = hash < 0 ? target : target.substring(0, hash);
        String anchor = hash < 0 ? null : target.substring(hash + 1);
        Path resolved = pathPart.isEmpty() ? from : from.getParent().resolve(pathPart).normalize();
        if (!resolved.startsWith(root)) return "resolves to " + resolved + ", outside the repository " + root;
        if (!Files.exists(resolved)) return "resolves to " + root.relativize(resolved) + ", which does not exist";
        if (anchor != null && !anchor.isEmpty() && resolved.toString().endsWith(".md")) {
            Set<String> anchors = anchorsByFile.computeIfAbsent(resolved, DocsTest::headingAnchors);
            if (!anchors.contains(anchor)) {
                return "no heading of " + root.relativize(resolved) + " has the anchor #" + anchor;
            }
        }
        return null;
    }

    /**
     * The anchors GitHub gives a Markdown file's headings: lower case, punctuation other than '-'
     * and '_' dropped, spaces turned into '-', and "-1", "-2"... appended to repeated ones.
     */
    private static Set<String> headingAnchors(Path file) {
        Set<String> anchors = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean inCode = false;
        for (String line : read(file).split("\n", -1)) {
            if (line.startsWith("```")) inCode = !inCode;
            if (inCode || !line.startsWith("#")) continue;
            String text = line.replaceFirst("^#+\\s*", "").strip();
            String slug = text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
            int n = seen.merge(slug, 1, Integer::sum);
            anchors.add(n == 1 ? slug : slug + "-" + (n - 1));
        }
        return anchors;
    }

    /** One problem per line; a long list is cut, since its first entries already show the pattern. */
    private static String listed(Collection<String> problems) {
        int shown = 30;
        StringBuilder sb = new StringBuilder();
        problems.stream().limit(shown).forEach(p -> sb.append("\n  ").append(p));
        if (problems.size() > shown) sb.append("\n  ... and ").append(problems.size() - shown).append(" more");
        return sb.toString();
    }

    private static String where(Path file, int lineIndex) {
        return root.relativize(file) + ":" + (lineIndex + 1);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The regular files under dir that wanted accepts, sorted, without descending into build or run output. */
    private static List<Path> files(Path dir, Predicate<Path> wanted) throws IOException {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) return found;
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                boolean skipped = !d.equals(dir) && SKIPPED_DIRECTORIES.contains(d.getFileName().toString());
                return skipped ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && wanted.test(f)) found.add(f.normalize());
                return FileVisitResult.CONTINUE;
            }
        });
        found.sort(null);
        return found;
    }

    /** The directory holding the core pom.xml and tornado-tasks/: Maven runs tests there, but be sure. */
    private static Path projectRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("tornado-tasks"))) {
                return dir.normalize();
            }
        }
        throw new IllegalStateException("no project root (pom.xml beside tornado-tasks/) above " + Path.of("").toAbsolutePath());
    }
}
