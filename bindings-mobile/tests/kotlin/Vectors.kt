// The shared-vector runner, on the JVM through the generated Kotlin bindings. It mirrors the Rust
// runner (core/tests/vectors.rs) rule for rule, in Kotlin: the files it reads, the shallow merge
// of `defaults` and `input`, subset matching of objects, same-length arrays, `null` matching an
// absent key, and errors matched on their JSON form with `violations` as an exact set of fields.

import java.io.File
import kirim.core.KirimException
import kirim.core.errorCodeString
import kirim.runOperation

/** Every vector file under `dir`, sorted, recursively; `schema.json` is not a vector file. */
fun vectorFiles(dir: File, out: MutableList<File>) {
    val entries = dir.listFiles() ?: throw IllegalStateException("cannot read vector directory $dir")
    for (path in entries.sortedBy { it.name }) {
        if (path.isDirectory) {
            vectorFiles(path, out)
        } else if (extension(path.name) == "json" && path.name != "schema.json") {
            out.add(path)
        }
    }
}

/** Rust's `Path::extension`: none for names like ".json" or "json". */
private fun extension(name: String): String? {
    val dot = name.lastIndexOf('.')
    return if (dot <= 0) null else name.substring(dot + 1)
}

/** The directories to read: the repository's vectors, then each entry of KIRIM_VECTORS_DIR. */
fun vectorDirectories(root: File): List<File> {
    val dirs = mutableListOf(root)
    System.getenv("KIRIM_VECTORS_DIR")?.let { extra ->
        dirs.addAll(extra.split(':').filter { it.isNotEmpty() }.map { File(it) })
    }
    return dirs
}

/** `null` when `expected` matches `actual`, else why not. */
fun matches(expected: Any, actual: Any, path: String): String? {
    if (expected is Map<*, *> && actual is Map<*, *>) {
        for ((key, ev) in expected) {
            val av = actual[key] ?: JsonNull
            matches(ev!!, av, "$path.$key")?.let { return it }
        }
        return null
    }
    if (expected is List<*> && actual is List<*>) {
        if (expected.size != actual.size) {
            return "$path: expected ${expected.size} items, got ${actual.size}: ${toJson(actual)}"
        }
        for (index in expected.indices) {
            matches(expected[index]!!, actual[index]!!, "$path[$index]")?.let { return it }
        }
        return null
    }
    return if (jsonEquals(expected, actual)) null else "$path: expected ${toJson(expected)}, got ${toJson(actual)}"
}

/** The error's JSON form, as the core serializes it (empty lists and absent options skipped). */
fun errorJson(e: KirimException): Map<String, Any> {
    val info = e.info()
    val out = LinkedHashMap<String, Any>()
    out["code"] = errorCodeString(info.code)
    out["field"] = info.field ?: JsonNull
    out["message"] = info.message
    if (info.violations.isNotEmpty()) {
        out["violations"] = info.violations.map {
            mapOf("field" to it.field, "code" to errorCodeString(it.code), "message" to it.message)
        }
    }
    info.providerCode?.let { out["provider_code"] = it }
    info.providerMessage?.let { out["provider_message"] = it }
    if (info.providerDetails.isNotEmpty()) {
        out["provider_details"] = info.providerDetails.map {
            mapOf("field" to (it.field ?: JsonNull), "message" to it.message)
        }
    }
    info.httpStatus?.let { out["http_status"] = JsonNumber.of(it) }
    info.providerTraceId?.let { out["provider_trace_id"] = it }
    return out
}

fun checkError(expected: Any, e: KirimException): String? {
    val actual = errorJson(e)
    var want = expected
    if (expected is Map<*, *>) {
        val copy = LinkedHashMap(expected)
        val fields = copy.remove("violations")
        if (fields is List<*>) {
            val wanted = fields.filterIsInstance<String>().toSortedSet()
            val got = e.info().violations.map { it.field }.toSortedSet()
            if (wanted != got) return "violations: expected $wanted, got $got"
        }
        want = copy
    }
    return matches(want, actual, "error")
}

/** The outcome of one call: a JSON value, a kirim exception, or anything else thrown. */
sealed class Outcome {
    class Ok(val value: Any) : Outcome()
    class Failed(val error: KirimException) : Outcome()
    class Crashed(val error: Throwable) : Outcome()
}

/** Applies a vector's `expected` or `error` to an outcome, exactly as the Rust runner does. */
fun verdict(vector: Map<*, *>, outcome: Outcome): String? {
    val hasExpected = vector.containsKey("expected")
    val hasError = vector.containsKey("error")
    return when {
        outcome is Outcome.Crashed -> "unexpected ${outcome.error::class.simpleName}: ${outcome.error.message}"
        hasExpected && !hasError && outcome is Outcome.Ok -> matches(vector["expected"]!!, outcome.value, "output")
        !hasExpected && hasError && outcome is Outcome.Failed -> checkError(vector["error"]!!, outcome.error)
        hasExpected && !hasError && outcome is Outcome.Failed ->
            "expected success, got error ${toJson(errorJson(outcome.error))}"
        !hasExpected && hasError && outcome is Outcome.Ok -> "expected an error, got ${toJson(outcome.value)}"
        else -> "a vector needs exactly one of `expected` and `error`"
    }
}

class VectorFile(val path: File, val operation: String, val defaults: Map<String, Any>, val vectors: List<Map<*, *>>)

fun readVectorFile(path: File): VectorFile {
    val file = parseJson(path.readText(Charsets.UTF_8)) as? Map<*, *> ?: throw IllegalStateException("$path: not an object")
    val operation = file["operation"] as? String ?: throw IllegalStateException("$path: no operation")
    val vectors = file["vectors"] as? List<*> ?: throw IllegalStateException("$path: no vectors")
    @Suppress("UNCHECKED_CAST")
    val defaults = (file["defaults"] as? Map<String, Any>) ?: emptyMap()
    return VectorFile(path, operation, defaults, vectors.map { it as? Map<*, *> ?: emptyMap<String, Any>() })
}

/** `defaults`, then the vector's own `input` over it, key by key. */
fun mergedInput(file: VectorFile, vector: Map<*, *>): LinkedHashMap<String, Any> {
    val input = LinkedHashMap(file.defaults)
    @Suppress("UNCHECKED_CAST")
    (vector["input"] as? Map<String, Any>)?.let { input.putAll(it) }
    return input
}

fun runJson(operation: String, input: Map<String, Any>): Outcome = try {
    Outcome.Ok(parseJson(runOperation(operation, toJson(input))))
} catch (e: KirimException) {
    Outcome.Failed(e)
} catch (e: Throwable) {
    Outcome.Crashed(e)
}

class VectorReport(val total: Int, val failures: List<String>)

/** Runs every vector through `runOperation` and prints `vectors: N passed, N failed`. */
fun runSharedVectors(root: File): VectorReport {
    val files = mutableListOf<File>()
    for (dir in vectorDirectories(root)) vectorFiles(dir, files)
    check(files.isNotEmpty()) { "no vector files found" }
    var total = 0
    val failures = mutableListOf<String>()
    for (path in files) {
        val file = readVectorFile(path)
        for (vector in file.vectors) {
            val name = vector["name"] as? String ?: "?"
            verdict(vector, runJson(file.operation, mergedInput(file, vector)))?.let {
                failures.add("$path :: $name: $it")
            }
        }
        total += file.vectors.size
    }
    for (failure in failures) System.err.println("FAIL $failure")
    println("vectors: ${total - failures.size} passed, ${failures.size} failed")
    return VectorReport(total, failures)
}
