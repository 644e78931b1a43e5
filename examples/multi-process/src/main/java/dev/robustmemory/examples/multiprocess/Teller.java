package dev.robustmemory.examples.multiprocess;

import java.util.concurrent.TimeUnit;

/** The slow service of the critical-section demo: it computes a new balance, taking its time. */
public class Teller {

    static final long DEPOSIT = 10;
    private static final long SERVICE_MILLIS = 5;

    /** @param balance the balance loaded (null: the account has none yet) */
    public long deposit(Long balance) throws InterruptedException {
        TimeUnit.MILLISECONDS.sleep(SERVICE_MILLIS); // what a remote call costs: the window a lock must cover
        return (balance == null ? 0 : balance) + DEPOSIT;
    }
}
