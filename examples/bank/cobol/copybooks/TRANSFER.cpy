      *----------------------------------------------------------------*
      * TRANSFER REQUEST AND RESULT (TABLE TRANSFERS).
      *----------------------------------------------------------------*
       01  TRANSFER-RECORD.
           05  TRF-ID                  PIC 9(8).
           05  TRF-FROM-ID             PIC 9(8).
           05  TRF-TO-ID               PIC 9(8).
           05  TRF-AMOUNT              PIC S9(9)V99 COMP-3.
           05  TRF-STATUS              PIC X.
               88  TRF-DONE            VALUE 'D'.
               88  TRF-REJECTED        VALUE 'R'.
