package dev.robustmemory.benchmark;

/** The system under test cannot run here (e.g. the component is not built yet); its rows print as n/a. */
final class BackendUnavailableException extends Exception {

    BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
