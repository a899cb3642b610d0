      *----------------------------------------------------------------*
      * LOAN RECORD (TABLE LOANS). RATE IS A YEARLY PERCENT 99V99.
      *----------------------------------------------------------------*
       01  LOAN-RECORD.
           05  LOAN-ID                 PIC 9(8).
           05  LOAN-ACCOUNT-ID         PIC 9(8).
           05  LOAN-PRINCIPAL          PIC S9(9)V99 COMP-3.
           05  LOAN-RATE               PIC 9(2)V99.
           05  LOAN-TERM-MONTHS        PIC 9(3).
           05  LOAN-INTEREST           PIC S9(7)V99 COMP-3.
