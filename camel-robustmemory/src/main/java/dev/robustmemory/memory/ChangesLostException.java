package dev.robustmemory.memory;

/**
 * The change log no longer holds every change after the position asked for: they were reclaimed (older than the
 * retention), or made before the log was kept.
 */
public class ChangesLostException extends StoreException {

    private final long completeAfter;

    public ChangesLostException(long askedAfter, long completeAfter) {
        super("The change log holds every change after revision " + completeAfter + " only; the changes after revision "
              + askedAfter + " up to it were reclaimed (older than the retention) or made before the log was kept."
              + " Resume from a later position, or read the memory's current state instead");
        this.completeAfter = completeAfter;
    }

    /** The revision after which the log is complete: a reader may resume from there. */
    public long completeAfter() {
        return completeAfter;
    }
}
