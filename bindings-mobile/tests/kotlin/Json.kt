// A minimal JSON reader and writer for the Kotlin test program (no library but JNA is allowed),
// with serde_json's value semantics, because the matching rules compare values the way the Rust
// runner (core/tests/vectors.rs) does:
// - objects: last duplicate key wins; arrays; strings; booleans; null (JsonNull, so that an absent
//   key and a null value are told apart);
// - numbers keep their source text and are integers (an integer literal within u64, or within
//   i64 when negative) or floats (a fraction or exponent, "-0", or an integer out of range);
//   an integer never equals a float, as in serde_json (1 != 1.0).

import java.math.BigInteger

object JsonNull {
    override fun toString() = "null"
}

class JsonNumber(val text: String) {
    val integer: BigInteger?
    val float: Double

    init {
        val isInteger = text.none { it == '.' || it == 'e' || it == 'E' }
        var asInteger: BigInteger? = null
        if (isInteger) {
            val value = BigInteger(text)
            val inRange = if (text.startsWith("-")) {
                value.signum() != 0 && value >= BigInteger.valueOf(Long.MIN_VALUE)
            } else {
                value <= U64_MAX
            }
            if (inRange) asInteger = value
        }
        integer = asInteger
        float = if (asInteger == null) text.toDouble() else 0.0
    }

    fun sameAs(other: JsonNumber): Boolean {
        val a = integer
        val b = other.integer
        return when {
            a != null && b != null -> a == b
            a == null && b == null -> float == other.float
            else -> false
        }
    }

    override fun toString() = text

    companion object {
        val U64_MAX: BigInteger = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE)

        fun of(value: Long) = JsonNumber(value.toString())
        fun of(value: Int) = JsonNumber(value.toString())
        fun of(value: ULong) = JsonNumber(value.toString())
        fun of(value: UInt) = JsonNumber(value.toString())
        fun of(value: UShort) = JsonNumber(value.toString())
    }
}

class JsonError(message: String) : Exception(message)

/** Parses JSON text into Map (LinkedHashMap) / List / String / Boolean / JsonNumber / JsonNull. */
class JsonReader(private val text: String) {
    private var i = 0

    fun parseDocument(): Any {
        val value = parseValue(0)
        skipWhitespace()
        if (i != text.length) fail("trailing characters")
        return value
    }

    private fun fail(why: String): Nothing = throw JsonError("JSON: $why at offset $i")

    private fun skipWhitespace() {
        while (i < text.length && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) i++
    }

    private fun parseValue(depth: Int): Any {
        if (depth > 128) fail("nested too deeply")
        skipWhitespace()
        if (i >= text.length) fail("unexpected end")
        return when (val c = text[i]) {
            '{' -> parseObject(depth)
            '[' -> parseArray(depth)
            '"' -> parseString()
            't' -> literal("true", true)
            'f' -> literal("false", false)
            'n' -> literal("null", JsonNull)
            else -> if (c == '-' || c in '0'..'9') parseNumber() else fail("unexpected character '$c'")
        }
    }

    private fun literal(word: String, value: Any): Any {
        if (!text.startsWith(word, i)) fail("expected $word")
        i += word.length
        return value
    }

    private fun parseObject(depth: Int): Map<String, Any> {
        val map = LinkedHashMap<String, Any>()
        if (emptyAfterOpening('}')) return map
        while (true) {
            skipWhitespace()
            if (i >= text.length || text[i] != '"') fail("expected a key")
            val key = parseString()
            skipWhitespace()
            if (i >= text.length || text[i] != ':') fail("expected ':'")
            i++
            map.remove(key) // the last duplicate wins, as in serde_json's map
            map[key] = parseValue(depth + 1)
            if (closedAfterItem('}', "object")) return map
        }
    }

    private fun parseArray(depth: Int): List<Any> {
        val list = ArrayList<Any>()
        if (emptyAfterOpening(']')) return list
        while (true) {
            list.add(parseValue(depth + 1))
            if (closedAfterItem(']', "array")) return list
        }
    }

    /** Past the opening bracket: true (and past [close] too) when the container is empty. */
    private fun emptyAfterOpening(close: Char): Boolean {
        i++
        skipWhitespace()
        if (i < text.length && text[i] == close) {
            i++
            return true
        }
        return false
    }

    /** After a member or an element: true when [close] ends the container, false after a ','
     * (either is consumed); anything else is an error. */
    private fun closedAfterItem(close: Char, container: String): Boolean {
        skipWhitespace()
        if (i >= text.length) fail("unexpected end in $container")
        val next = text[i]
        if (next != ',' && next != close) fail("expected ',' or '$close'")
        i++
        return next == close
    }

    private fun parseString(): String {
        i++ // opening quote
        val out = StringBuilder()
        while (true) {
            if (i >= text.length) fail("unterminated string")
            val c = text[i++]
            when {
                c == '"' -> return out.toString()
                c == '\\' -> {
                    if (i >= text.length) fail("unterminated escape")
                    when (val e = text[i++]) {
                        '"' -> out.append('"')
                        '\\' -> out.append('\\')
                        '/' -> out.append('/')
                        'b' -> out.append('\b')
                        'f' -> out.append('\u000C')
                        'n' -> out.append('\n')
                        'r' -> out.append('\r')
                        't' -> out.append('\t')
                        'u' -> {
                            val unit = hex4()
                            if (Character.isHighSurrogate(unit)) {
                                if (!text.startsWith("\\u", i)) fail("lone leading surrogate")
                                i += 2
                                val low = hex4()
                                if (!Character.isLowSurrogate(low)) fail("invalid surrogate pair")
                                out.append(unit).append(low)
                            } else if (Character.isLowSurrogate(unit)) {
                                fail("lone trailing surrogate")
                            } else {
                                out.append(unit)
                            }
                        }
                        else -> fail("invalid escape '\\$e'")
                    }
                }
                c < ' ' -> fail("control character in string")
                else -> out.append(c)
            }
        }
    }

    private fun hex4(): Char {
        if (i + 4 > text.length) fail("short \\u escape")
        val digits = text.substring(i, i + 4)
        if (!digits.all { it in '0'..'9' || it in 'a'..'f' || it in 'A'..'F' }) fail("bad \\u escape")
        i += 4
        return digits.toInt(16).toChar()
    }

    private fun parseNumber(): JsonNumber {
        val start = i
        if (text[i] == '-') i++
        if (i >= text.length) fail("bad number")
        if (text[i] == '0') {
            i++
        } else if (text[i] in '1'..'9') {
            while (i < text.length && text[i] in '0'..'9') i++
        } else {
            fail("bad number")
        }
        if (i < text.length && text[i] == '.') {
            i++
            val digits = i
            while (i < text.length && text[i] in '0'..'9') i++
            if (i == digits) fail("bad fraction")
        }
        if (i < text.length && (text[i] == 'e' || text[i] == 'E')) {
            i++
            if (i < text.length && (text[i] == '+' || text[i] == '-')) i++
            val digits = i
            while (i < text.length && text[i] in '0'..'9') i++
            if (i == digits) fail("bad exponent")
        }
        return JsonNumber(text.substring(start, i))
    }
}

fun parseJson(text: String): Any = JsonReader(text).parseDocument()

/** Compact JSON. Every non-ASCII character is written as a \u escape, so the bytes are ASCII. */
fun toJson(value: Any?): String {
    val out = StringBuilder()
    writeJson(value, out)
    return out.toString()
}

private fun writeJson(value: Any?, out: StringBuilder) {
    when (value) {
        null, JsonNull -> out.append("null")
        is Boolean -> out.append(if (value) "true" else "false")
        is JsonNumber -> out.append(value.text)
        is String -> writeString(value, out)
        is Map<*, *> -> {
            out.append('{')
            var first = true
            for ((k, v) in value) {
                if (!first) out.append(',')
                first = false
                writeString(k as String, out)
                out.append(':')
                writeJson(v, out)
            }
            out.append('}')
        }
        is List<*> -> {
            out.append('[')
            value.forEachIndexed { index, item ->
                if (index > 0) out.append(',')
                writeJson(item, out)
            }
            out.append(']')
        }
        else -> throw IllegalArgumentException("not a JSON value: ${value::class}")
    }
}

private fun writeString(s: String, out: StringBuilder) {
    out.append('"')
    for (c in s) {
        when {
            c == '"' -> out.append("\\\"")
            c == '\\' -> out.append("\\\\")
            c < ' ' || c.code > 0x7e -> out.append(String.format("\\u%04x", c.code))
            else -> out.append(c)
        }
    }
    out.append('"')
}

/** serde_json's `Value` equality. */
fun jsonEquals(a: Any, b: Any): Boolean = when {
    a is Map<*, *> && b is Map<*, *> ->
        a.size == b.size && a.all { (k, v) -> b.containsKey(k) && jsonEquals(v!!, b[k]!!) }
    a is List<*> && b is List<*> ->
        a.size == b.size && a.indices.all { jsonEquals(a[it]!!, b[it]!!) }
    a is JsonNumber && b is JsonNumber -> a.sameAs(b)
    a is String && b is String -> a == b
    a is Boolean && b is Boolean -> a == b
    a === JsonNull && b === JsonNull -> true
    else -> false
}
